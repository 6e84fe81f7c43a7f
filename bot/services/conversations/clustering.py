"""Opinion groups the way Polis finds them: PCA of the vote matrix, k-means on the map,
then what every group agrees on, what divides them and what sets each group apart.

Pure numpy and scikit-learn, no database and no Telegram: the service reads the votes and
calls `find_opinion_groups` in a worker thread (it is CPU-bound).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where it is used: the bot starts without it
    import numpy as np

AGREE, DISAGREE, PASS = 1, -1, 0
# Polis clusters only people who voted on at least this many statements (or on all of them,
# when there are fewer): a couple of votes say too little about where someone stands.
MIN_VOTES = 7
MAX_GROUPS = 5
# Consensus: every group agrees (or disagrees) at least this much, counting smoothed shares.
CONSENSUS_SHARE = 0.6
# Divisive: the groups' agreement differs by at least this much.
DIVISIVE_SPREAD = 0.5
# Representative: more agreement inside the group than outside, at about 90 % confidence.
Z_90 = 1.2816
SHOWN = 3
SILHOUETTE_SAMPLE = 1000


@dataclass(frozen=True)
class VoteMatrix:
    """Participants by statements: values 1 (agree), -1 (disagree), 0 (pass or not seen)."""

    values: np.ndarray
    seen: np.ndarray  # True where the participant voted (a pass counts as seen)
    statement_ids: tuple[int, ...]

    @property
    def participants(self) -> int:
        return int(self.values.shape[0])

    @classmethod
    def from_votes(
        cls, votes: Iterable[tuple[str, int, int]], statement_ids: Sequence[int]
    ) -> VoteMatrix:
        """From (participant, statement id, value) rows; votes on unknown statements are ignored."""
        import numpy as np

        column = {sid: index for index, sid in enumerate(statement_ids)}
        rows: dict[str, int] = {}
        cells: list[tuple[int, int, int]] = []
        for participant, statement_id, value in votes:
            if statement_id not in column:
                continue
            row = rows.setdefault(participant, len(rows))
            cells.append((row, column[statement_id], value))
        values = np.zeros((len(rows), len(statement_ids)), dtype=np.float64)
        seen = np.zeros(values.shape, dtype=bool)
        if cells:
            r, c, v = (np.asarray(part) for part in zip(*cells, strict=True))
            values[r, c] = np.sign(v)
            seen[r, c] = True
        return cls(values, seen, tuple(statement_ids))


@dataclass(frozen=True)
class Tally:
    """How one set of people voted on one statement."""

    agree: int
    disagree: int
    seen: int

    @property
    def agree_share(self) -> float:
        return self.agree / self.seen if self.seen else 0.0

    @property
    def disagree_share(self) -> float:
        return self.disagree / self.seen if self.seen else 0.0


@dataclass(frozen=True)
class StatementResult:
    statement_id: int
    overall: Tally
    groups: tuple[Tally, ...]  # one per shown group, in group order
    direction: int  # AGREE or DISAGREE: which way the consensus (or representativeness) goes
    score: float  # how strongly: for ranking


@dataclass(frozen=True)
class OpinionGroup:
    label: str  # "A", "B", ...
    size: int
    representative: tuple[StatementResult, ...]


@dataclass(frozen=True)
class Opinions:
    voters: int  # everyone who voted at all
    clustered: int  # those with enough votes to be placed on the map
    groups: tuple[OpinionGroup, ...]
    merged: int  # people of groups smaller than k, merged into the nearest group
    withheld: int  # people not described at all: fewer than k were placed on the map
    consensus: tuple[StatementResult, ...]
    divisive: tuple[StatementResult, ...]
    overall: tuple[StatementResult, ...]  # every statement, in the matrix's order
    silhouette: float | None
    # The opinion map, for the chart: each clustered person's position and group index.
    positions: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)

    @property
    def excluded(self) -> int:
        return self.voters - self.clustered


def find_opinion_groups(
    matrix: VoteMatrix,
    *,
    min_group: int,
    min_votes: int = MIN_VOTES,
    max_groups: int = MAX_GROUPS,
    seed: int = 0,
) -> Opinions:
    """Groups of at least `min_group` people (smaller ones merged into the nearest), with
    consensus, divisive and representative statements."""
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread: the matrices are small, and on a busy machine (the bot's event
    # loop, other replicas) extra threads spin against each other and run several times slower.
    with threadpool_limits(limits=1):
        return _find(matrix, min_group, min_votes, max_groups, seed)


def _find(
    matrix: VoteMatrix, min_group: int, min_votes: int, max_groups: int, seed: int
) -> Opinions:
    n_statements = len(matrix.statement_ids)
    enough = matrix.seen.sum(axis=1) >= min(min_votes, max(n_statements, 1))
    values, seen = matrix.values[enough], matrix.seen[enough]
    positions = project(values, seen, seed)
    labels, silhouette = cluster(positions, min_group, max_groups, seed)
    labels, merged = merge_small(positions, labels, min_group)
    masks = [labels == g for g in range(int(labels.max()) + 1)] if labels.size else []
    # Fewer than k people in all: not even one group may be described.
    withheld = int(enough.sum()) if masks and masks[0].sum() < min_group else 0
    if withheld:
        masks = []
    group_tallies = [_tallies(values[m], seen[m]) for m in masks]
    overall_tallies = _tallies(matrix.values, matrix.seen)
    overall = tuple(
        _result(sid, overall_tallies[j], [t[j] for t in group_tallies], AGREE, 0.0)
        for j, sid in enumerate(matrix.statement_ids)
    )
    groups = tuple(
        OpinionGroup(
            chr(ord("A") + g),
            int(m.sum()),
            _representative(matrix.statement_ids, values, seen, m, overall),
        )
        for g, m in enumerate(masks)
    )
    return Opinions(
        voters=matrix.participants,
        clustered=int(enough.sum()),
        groups=groups,
        merged=merged,
        withheld=withheld,
        consensus=_consensus(overall) if groups else (),
        divisive=_divisive(overall) if len(groups) > 1 else (),
        overall=overall,
        silhouette=silhouette,
        positions=positions,
        labels=labels,
    )


def project(values: np.ndarray, seen: np.ndarray, seed: int = 0) -> np.ndarray:
    """Everyone on a two-dimensional map (PCA). As Polis does, someone who voted on few
    statements is pushed outwards (by sqrt(statements / votes)), since their zeros are
    mostly "not seen" and would otherwise pull them to the middle."""
    import numpy as np
    from sklearn.decomposition import PCA

    people, statements = values.shape
    if people < 2 or statements < 1:
        return np.zeros((people, 2))
    components = min(2, statements, people)
    points = PCA(n_components=components, random_state=seed).fit_transform(values)
    if components < 2:
        points = np.column_stack([points, np.zeros(people)])
    votes = np.maximum(seen.sum(axis=1), 1)
    return points * np.sqrt(statements / votes)[:, None]


def cluster(
    positions: np.ndarray, min_group: int, max_groups: int = MAX_GROUPS, seed: int = 0
) -> tuple[np.ndarray, float | None]:
    """k-means with 2 to `max_groups` groups, the number chosen by the silhouette; one group
    (label 0) when there are too few people or no structure to split."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    people = positions.shape[0]
    one = np.zeros(people, dtype=np.int64)
    distinct = np.unique(positions.round(9), axis=0).shape[0] if people else 0
    if people < 2 * min_group or distinct < 2:
        return one, None
    best: tuple[float, np.ndarray] | None = None
    # k-means cannot make more groups than distinct positions, nor the silhouette judge n.
    for k in range(2, min(max_groups, distinct, people // min_group, people - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(positions)
        if len(set(labels.tolist())) < 2:
            continue
        # The silhouette costs n² distances: past SILHOUETTE_SAMPLE people, a fixed sample
        # of them judges the split as well.
        sample = SILHOUETTE_SAMPLE if people > SILHOUETTE_SAMPLE else None
        score = float(silhouette_score(positions, labels, sample_size=sample, random_state=seed))
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None:
        return one, None
    return _by_size(best[1]), best[0]


def merge_small(
    positions: np.ndarray, labels: np.ndarray, min_group: int
) -> tuple[np.ndarray, int]:
    """No group smaller than k is shown: its people join the group whose centre is nearest
    to each of them. Returns the new labels and how many people moved."""
    import numpy as np

    labels = labels.copy()
    moved = 0
    while labels.size:
        sizes = np.bincount(labels)
        present = [g for g in range(len(sizes)) if sizes[g] > 0]
        small = [g for g in present if sizes[g] < min_group]
        if not small or len(present) < 2:
            break
        smallest = min(small, key=lambda g: sizes[g])
        others = [g for g in present if g != smallest]
        centres = np.array([positions[labels == g].mean(axis=0) for g in others])
        members = np.flatnonzero(labels == smallest)
        nearest = np.argmin(
            ((positions[members, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1
        )
        labels[members] = np.asarray(others)[nearest]
        moved += len(members)
    return _by_size(labels), moved


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Relabel 0..n-1, largest group first (so "A" is the largest)."""
    import numpy as np

    if not labels.size:
        return labels
    sizes = np.bincount(labels)
    order = [g for g in np.argsort(-sizes, kind="stable") if sizes[g] > 0]
    mapping = np.zeros(len(sizes), dtype=np.int64)
    for new, old in enumerate(order):
        mapping[old] = new
    return mapping[labels]


def _tallies(values: np.ndarray, seen: np.ndarray) -> list[Tally]:
    agree = ((values > 0) & seen).sum(axis=0)
    disagree = ((values < 0) & seen).sum(axis=0)
    count = seen.sum(axis=0)
    return [Tally(int(a), int(d), int(s)) for a, d, s in zip(agree, disagree, count, strict=True)]


def _result(
    sid: int, overall: Tally, groups: list[Tally], direction: int, score: float
) -> StatementResult:
    return StatementResult(sid, overall, tuple(groups), direction, score)


def _smoothed(hits: int, seen: int) -> float:
    """Polis's (hits + 1) / (seen + 2): few votes never look like unanimity."""
    return (hits + 1) / (seen + 2)


def _consensus(overall: Sequence[StatementResult]) -> tuple[StatementResult, ...]:
    """Statements every group agrees on (or every group rejects), strongest first."""
    found = []
    for result in overall:
        for direction in (AGREE, DISAGREE):
            shares = [
                _smoothed(t.agree if direction == AGREE else t.disagree, t.seen)
                for t in result.groups
            ]
            if shares and min(shares) >= CONSENSUS_SHARE:
                score = math.prod(shares)
                found.append(
                    _result(
                        result.statement_id, result.overall, list(result.groups), direction, score
                    )
                )
    return tuple(sorted(found, key=lambda r: -r.score)[:SHOWN])


def _divisive(overall: Sequence[StatementResult]) -> tuple[StatementResult, ...]:
    """Statements on which the groups' agreement differs most."""
    found = []
    for result in overall:
        shares = [t.agree_share for t in result.groups if t.seen >= 2]
        if len(shares) < 2:
            continue
        spread = max(shares) - min(shares)
        if spread >= DIVISIVE_SPREAD:
            found.append(
                _result(result.statement_id, result.overall, list(result.groups), AGREE, spread)
            )
    return tuple(sorted(found, key=lambda r: -r.score)[:SHOWN])


def _representative(
    statement_ids: Sequence[int],
    values: np.ndarray,
    seen: np.ndarray,
    mask: np.ndarray,
    overall: Sequence[StatementResult],
) -> tuple[StatementResult, ...]:
    """Polis's representativeness: how much more likely the group is to agree (or disagree)
    than everyone outside it, kept when that difference is significant."""
    inside = _tallies(values[mask], seen[mask])
    outside = _tallies(values[~mask], seen[~mask])
    found = []
    for j, sid in enumerate(statement_ids):
        best: tuple[float, int] | None = None
        for direction in (AGREE, DISAGREE):
            hits_in = inside[j].agree if direction == AGREE else inside[j].disagree
            hits_out = outside[j].agree if direction == AGREE else outside[j].disagree
            p_in = _smoothed(hits_in, inside[j].seen)
            p_out = _smoothed(hits_out, outside[j].seen)
            z = _two_proportion_z(hits_in, inside[j].seen, hits_out, outside[j].seen)
            if p_in > 0.5 and p_in > p_out and z > Z_90:
                metric = (p_in / p_out) * p_in
                if best is None or metric > best[0]:
                    best = (metric, direction)
        if best is not None:
            result = overall[j]
            found.append(_result(sid, result.overall, list(result.groups), best[1], best[0]))
    return tuple(sorted(found, key=lambda r: -r.score)[:SHOWN])


def _two_proportion_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    if n_a == 0 or n_b == 0:
        return 0.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return (hits_a / n_a - hits_b / n_b) / spread if spread else 0.0
