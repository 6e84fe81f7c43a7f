"""Disclosure control for the decision views: no figure rests on fewer than k people, no hidden
figure can be worked out from the ones shown, and no shown group gives away what (nearly)
everyone in it answered.

One-way distributions use `suppress`. Two-way tables (answers × groups) hide small cells
(primary suppression) and then enough other cells that the row and column totals pin none of
them down (complementary suppression): each hidden cell's possible values, given everything
shown, must span at least k. That is checked exactly, as two small linear programmes per hidden
cell (scipy's HiGHS), and more cells are hidden until it holds. A group where all or all but one
gave the same answer is "dominated": such a group is merged into a neighbour (coarsened), or the
breakdown is withheld.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Cell = tuple[int, int]  # (row, column)


def suppress(counts: dict[str, int], k: int) -> tuple[dict[str, int | None], bool]:
    """Cells below k hidden, then complementary cells, so none can be worked out from the
    total. Returns the cells (None = hidden) and whether the total may be shown."""
    total = sum(counts.values())
    if total < k:
        return {key: None for key in counts}, False
    hidden = {key for key, n in counts.items() if 0 < n < k}
    while hidden and (len(hidden) == 1 or sum(counts[h] for h in hidden) < k):
        visible = sorted((n, key) for key, n in counts.items() if key not in hidden and n > 0)
        if not visible:
            return {key: None for key in counts}, False
        hidden.add(visible[0][1])
    return {key: (None if key in hidden else n) for key, n in counts.items()}, True


def dominated(counts: Sequence[int]) -> bool:
    """All, or all but one, of a group gave the same answer: showing it tells what they said."""
    total = sum(counts)
    return total > 0 and max(counts) >= total - 1


@dataclass(frozen=True)
class Protected:
    """A two-way table as it may be shown: None where a cell (or a group's size) is hidden."""

    cells: list[list[int | None]]  # [row][column]
    column_totals: list[int | None]
    row_totals: list[int | None]
    total: int | None

    @property
    def withheld(self) -> bool:
        return self.total is None


def protect_table(
    counts: Sequence[Sequence[int]],
    k: int,
    hidden_rows: set[int] | None = None,
    blocks: Sequence[Sequence[int]] = (),
) -> Protected:
    """Primary and complementary suppression of a rows × columns table of counts, its row
    totals, column totals and grand total included. `hidden_rows`: row totals another view
    hides already (else they are suppressed here); `blocks`: sets of rows whose combined total
    another view shows (a headline share)."""
    rows, cols = len(counts), len(counts[0]) if counts else 0
    grand = sum(sum(r) for r in counts)
    if grand < k or rows == 0 or cols == 0:
        return _nothing(rows, cols)
    row_sums = [sum(r) for r in counts]
    col_sums = [sum(counts[r][c] for r in range(rows)) for c in range(cols)]
    if hidden_rows is None:
        row_cells, _ = suppress({str(r): n for r, n in enumerate(row_sums)}, k)
        hidden_rows = {r for r in range(rows) if row_cells[str(r)] is None}
    col_cells, _ = suppress({str(c): n for c, n in enumerate(col_sums)}, k)
    hidden_cols = {c for c in range(cols) if col_cells[str(c)] is None}
    # A group whose size is hidden shows nothing, and an answer with too few people in all
    # shows nothing in any group.
    hidden = {
        (r, c)
        for r in range(rows)
        for c in range(cols)
        if 0 < counts[r][c] < k or c in hidden_cols or r in hidden_rows
    }
    _pair_up(counts, hidden)
    while True:
        weak = _weakest(
            counts, row_sums, col_sums, grand, hidden, hidden_rows, hidden_cols, blocks, k
        )
        if weak is None:
            break
        more = _next_to_hide(counts, hidden, weak)
        if more is None:
            return _nothing(rows, cols)
        hidden.add(more)
    return Protected(
        [[None if (r, c) in hidden else counts[r][c] for c in range(cols)] for r in range(rows)],
        [None if c in hidden_cols else col_sums[c] for c in range(cols)],
        [None if r in hidden_rows else row_sums[r] for r in range(rows)],
        grand,
    )


def _nothing(rows: int, cols: int) -> Protected:
    return Protected([[None] * cols for _ in range(rows)], [None] * cols, [None] * rows, None)


def _weakest(
    counts: Sequence[Sequence[int]],
    row_sums: list[int],
    col_sums: list[int],
    grand: int,
    hidden: set[Cell],
    hidden_rows: set[int],
    hidden_cols: set[int],
    blocks: Sequence[Sequence[int]],
    k: int,
) -> Cell | None:
    """A hidden cell whose possible values, given all that is shown, span less than k."""
    if not hidden:
        return None
    from scipy.optimize import linprog

    rows, cols = len(counts), len(counts[0])
    unknown: list[tuple[str, int, int]] = sorted(("c", r, c) for r, c in hidden)
    unknown += [("r", r, -1) for r in sorted(hidden_rows)] + [("t", -1, c) for c in hidden_cols]
    index = {u: i for i, u in enumerate(unknown)}
    equations: list[list[float]] = []
    values: list[float] = []

    def line(cells: list[Cell], total_var: tuple[str, int, int] | None, total: int) -> None:
        row = [0.0] * len(unknown)
        known = 0
        for r, c in cells:
            if (r, c) in hidden:
                row[index[("c", r, c)]] = 1.0
            else:
                known += counts[r][c]
        if total_var is not None:
            row[index[total_var]] = -1.0
            equations.append(row)
            values.append(-known)
        else:
            equations.append(row)
            values.append(total - known)

    for r in range(rows):
        var = ("r", r, -1) if r in hidden_rows else None
        line([(r, c) for c in range(cols)], var, row_sums[r])
    for c in range(cols):
        var = ("t", -1, c) if c in hidden_cols else None
        line([(r, c) for r in range(rows)], var, col_sums[c])
    for kind, total in (("r", sum(row_sums)), ("t", sum(col_sums))):
        row = [1.0 if u[0] == kind else 0.0 for u in unknown]
        if any(row):
            shown = sum(row_sums[r] for r in range(rows) if r not in hidden_rows)
            if kind == "t":
                shown = sum(col_sums[c] for c in range(cols) if c not in hidden_cols)
            equations.append(row)
            values.append(total - shown)
    for block in blocks:
        row = [1.0 if u[0] == "r" and u[1] in block else 0.0 for u in unknown]
        if any(row):
            equations.append(row)
            values.append(sum(row_sums[r] for r in block if r in hidden_rows))
    bounds = [(0, grand)] * len(unknown)
    for cell in sorted(hidden):
        target = [0.0] * len(unknown)
        target[index[("c", *cell)]] = 1.0
        low = linprog(target, A_eq=equations, b_eq=values, bounds=bounds, method="highs")
        high = linprog([-t for t in target], A_eq=equations, b_eq=values, bounds=bounds)
        if not (low.success and high.success):
            return cell
        if -high.fun - low.fun < k - 1e-6:
            return cell
    return None


def _pair_up(counts: Sequence[Sequence[int]], hidden: set[Cell]) -> None:
    """No row or column with exactly one hidden cell: each gets a partner, preferably where
    another line already has one, so that hidden cells close into rectangles."""
    rows, cols = len(counts), len(counts[0])
    changed = True
    while changed:
        changed = False
        for lines, cell_at in (
            ([[(r, c) for c in range(cols)] for r in range(rows)], lambda cell: cell[1]),
            ([[(r, c) for r in range(rows)] for c in range(cols)], lambda cell: cell[0]),
        ):
            for line in lines:
                alone = [cell for cell in line if cell in hidden]
                shown = [cell for cell in line if cell not in hidden]
                if len(alone) != 1 or not shown:
                    continue
                crossed = {cell_at(cell) for cell in hidden} - {cell_at(alone[0])}
                best = min(
                    shown, key=lambda cell: (cell_at(cell) not in crossed, counts[cell[0]][cell[1]])
                )
                hidden.add(best)
                changed = True


def _next_to_hide(counts: Sequence[Sequence[int]], hidden: set[Cell], weak: Cell) -> Cell | None:
    """The smallest shown cell in the weak cell's row or column (else anywhere)."""
    rows, cols = len(counts), len(counts[0])
    r0, c0 = weak
    near = [(r0, c) for c in range(cols)] + [(r, c0) for r in range(rows)]
    for candidates in (near, [(r, c) for r in range(rows) for c in range(cols)]):
        shown = [(counts[r][c], (r, c)) for r, c in candidates if (r, c) not in hidden]
        positive = [item for item in shown if item[0] > 0] or shown
        if positive:
            return min(positive)[1]
    return None
