"""The survey page's group views: no subtraction between groups, or between a group and all
respondents, gives away a figure under k."""

from __future__ import annotations

from collections import Counter

from bot.dashboard.survey_source import Group, _cross
from bot.services.surveys.figures import Distribution, suppress

K = 5


def _table(rows: dict[str, dict[str, int]]) -> dict[str, Counter[str]]:
    table = {}
    for group, cells in rows.items():
        row: Counter[str] = Counter(cells)
        row[None] = sum(cells.values())  # type: ignore[index]
        table[group] = row
    return table


def _everyone(rows: dict[str, dict[str, int]]) -> Distribution:
    counts: Counter[str] = Counter()
    for cells in rows.values():
        counts.update(cells)
    cells, shown = suppress(dict(counts), K)
    return Distribution("intention", sum(counts.values()) if shown else None, cells)


def test_a_small_group_elsewhere_hides_that_answer_in_every_group() -> None:
    """Celje 5 and Prebold 5 would leave, of 12 in all: shown, the 2 of the region follow."""
    rows = {
        "celje": {"leave": 5, "stay": 10, "maybe": 6},
        "prebold": {"leave": 5, "stay": 10, "maybe": 6},
        "savinjska": {"leave": 2, "stay": 5, "maybe": 5},
    }
    everyone = _everyone(rows)
    assert everyone.cells["leave"] == 12  # all respondents: nothing under k
    for group in ("celje", "prebold"):
        view = _cross(everyone, _table(rows), group, K, additive=True)
        assert view.cells["leave"] is None
        # ...and not worked out from the total either: a second answer goes with it.
        hidden = [o for o, n in view.cells.items() if n is None]
        assert len(hidden) >= 2 and view.total == 21
        shown = sum(n for n in view.cells.values() if n is not None)
        assert view.total - shown >= K


def test_answers_safe_in_every_group_are_shown() -> None:
    rows = {"celje": {"yes": 10, "no": 6}, "prebold": {"yes": 5, "no": 0}}
    view = _cross(_everyone(rows), _table(rows), "prebold", K, additive=True)
    assert view.cells == {"yes": 5, "no": 0} and view.total == 5


def test_what_all_respondents_hide_stays_hidden_in_a_group() -> None:
    rows = {"celje": {"yes": 3, "no": 9}, "prebold": {"yes": 0, "no": 6}}
    everyone = _everyone(rows)
    assert everyone.cells["yes"] is None
    view = _cross(everyone, _table(rows), "prebold", K, additive=True)
    assert view.cells["yes"] is None and view.cells["no"] is None


def test_a_group_below_k_shows_no_total() -> None:
    rows = {"celje": {"yes": 10}, "prebold": {"yes": 3}}
    view = _cross(_everyone(rows), _table(rows), "prebold", K, additive=True)
    assert view.total is None and view.cells["yes"] is None


def test_groups_are_parsed_from_the_filter_only_when_known() -> None:
    assert Group.parse("municipality:celje") == Group("municipality", "celje")
    assert Group.parse("age_band:25_34") == Group("age_band", "25_34")
    for text in (None, "", "municipality:mars", "status:employed", "celje", "age_band:"):
        assert Group.parse(text) is None
