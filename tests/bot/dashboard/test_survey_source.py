"""The survey page over the decision views, on a real database: every section comes from the
views as they are, a hidden figure (None) is never in the page's data, a group filter narrows
every figure, and a group too small to show on its own gets a message and no figures."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from bot.dashboard import pages
from bot.dashboard.survey_source import Group, survey_figures
from bot.i18n import I18n
from bot.services.surveys.definition import ProfileField, Survey, shipped
from bot.services.surveys.service import Surveys
from bot.services.surveys.views import DecisionViews, DecisionViewService
from tests.support.surveys import seed_completed

TZ = ZoneInfo("Europe/Ljubljana")
K = 5
CODE = "stay_or_leave"


def shipped_survey() -> Survey:
    return next(s for s in shipped() if s.code == CODE)


def people(
    municipality: str, n: int, intention: str, **more: Any
) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    answers: dict[str, Any] = {"intention": intention, **more}
    if intention.endswith("stay"):
        answers.setdefault("reasons_stay", ["family", "environment"])
    else:
        answers.setdefault("reasons_leave", ["housing", "pay"])
    return [(municipality, "18_24" if i % 2 else "25_34", dict(answers)) for i in range(n)]


def latest_round() -> list[tuple[str | None, str | None, dict[str, Any]]]:
    return (
        people("celje", 12, "definitely_stay")
        + people("celje", 2, "definitely_leave")
        + people("celje", 6, "probably_leave", reasons_leave=["jobs", "transport"])
        + people("prebold", 5, "probably_stay")
        + people("prebold", 5, "dont_know")
        + people("savinjska", 3, "definitely_stay")
        + people("savinjska", 3, "probably_leave")
    )


async def _setup(sessions) -> tuple[DecisionViewService, Surveys]:  # type: ignore[no-untyped-def]
    surveys = Surveys(sessions, shipped(), I18n(TZ, "sl"), "k")
    await surveys.sync()
    await surveys.rounds.open(1, CODE)
    survey = shipped_survey()
    # Round 1: 20 people, half of them would stay.
    await seed_completed(
        sessions,
        CODE,
        survey,
        people("celje", 10, "definitely_stay") + people("prebold", 10, "probably_leave"),
    )
    await surveys.rounds.close(1, CODE)
    await surveys.rounds.open(1, CODE)
    # Round 2: 36 people; 2 in Celje would definitely leave (fewer than k).
    await seed_completed(sessions, CODE, survey, latest_round())
    return DecisionViewService(sessions, K), surveys


def nulls(value: Any, path: str = "") -> list[str]:
    """Every place a None would reach the browser."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
    return []


def _page(found, locale: str = "en") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    tr = I18n(TZ, locale).get(locale)
    data = pages.survey(tr, found, {CODE: shipped_survey()}, K)
    assert nulls(data) == [], "a hidden figure would reach the browser"
    json.dumps(data, ensure_ascii=False)  # the JSON route sends it as it is
    return data


def _mirrors(data: dict[str, Any], views: DecisionViews) -> None:
    """Each figure on the page is the views' own; each hidden one is missing."""
    for item, figure in zip(data["overview"], views.key, strict=True):
        assert item["question"] == figure.question
        if figure.overall.total is None:
            assert not item["shown"] and "rows" not in item
            continue
        for row in item["rows"]:
            n = figure.overall.cells[row["code"]]
            assert row.get("count") == n and ("percent" in row) == (n is not None)
    tables = {part["field"]: part["tables"] for part in data["breakdowns"]}
    for by, found in tables.items():
        for table, b in zip(found, views.breakdowns(ProfileField(by)), strict=True):
            if b.withheld:
                assert "rows" not in table
                continue
            for row in table["rows"]:
                for cell, column in zip(row["cells"], b.columns, strict=True):
                    share = column.share(row["code"])
                    assert cell.get("percent") == (None if share is None else round(share))
    for item, reasons in zip(data["push"] + data["pull"], views.push + views.pull, strict=True):
        assert item["question"] == reasons.question
        for row, (code, n) in zip(item.get("rows", []), reasons.top, strict=False):
            assert row["code"] == code and row.get("count") == n


async def test_all_respondents_see_every_section_and_no_hidden_figure(sessions) -> None:  # type: ignore[no-untyped-def]
    views, _ = await _setup(sessions)
    found = await survey_figures(views, sessions, CODE, None, None)
    assert found.rounds == [2, 1] and found.views is not None and not found.too_small
    data = _page(found)
    assert data["round"] == 2 and data["completed"] == 36
    assert data["previous"] == {"round": 1, "completed": 20}
    _mirrors(data, found.views)
    [intention] = [q for q in data["overview"] if q["question"] == "intention"]
    # 15 + 5 of 36 would stay; the 2 who would definitely leave are hidden, with a second
    # answer so that the total does not give them away.
    assert intention["headline"]["percent"] == 56 and intention["total"] == 36
    rows = {r["code"]: r for r in intention["rows"]}
    assert rows["definitely_stay"]["count"] == 15 and rows["probably_leave"]["count"] == 9
    assert "count" not in rows["definitely_leave"] and "percent" not in rows["definitely_leave"]
    assert sum(1 for r in rows.values() if "count" not in r) >= 2
    # From 50 % to 56 %: the change, with its interval, flagged only when it is clear.
    change = intention["change"]
    assert change["round"] == 1 and change["difference"] == 6 and not change["clear"]
    assert change["low"] < 0 < change["high"]
    assert "Since round 1: +6 percentage points" in change["text"]
    assert "no clear change" in change["text"]
    # Celje against Prebold against the rest: Prebold's 5 of 10 would single out the rest of
    # the region's 3 of 6, so both are hidden, and answers are merged into headline and rest.
    [places] = [p for p in data["places"] if p["question"] == "intention"]
    columns = {c["name"]: c for c in places["columns"]}
    assert list(columns) == ["Celje", "Prebold", "Rest of the region"]
    assert columns["Celje"] == {"name": "Celje", "total": 20, "percent": 60}
    assert "percent" not in columns["Prebold"] and "percent" not in columns["Rest of the region"]
    [by_place] = [t for t in data["breakdowns"][0]["tables"] if t["question"] == "intention"]
    assert [r["code"] for r in by_place["rows"]] == ["headline", "rest"]
    assert any("merged into the headline" in note for note in by_place["notes"])
    # Reasons to leave and to stay, the funnel (nobody suggested a lab yet), the sample.
    assert [r["question"] for r in data["push"]] == ["reasons_leave", "reasons_left"]
    # Among the 11 it concerns (those leaning towards leaving; the 5 unsure are not counted).
    leave = data["push"][0]
    assert leave["people"] == 11
    assert [(r["code"], r["count"], r["percent"]) for r in leave["rows"][:2]] == [
        ("jobs", 6, 55),
        ("transport", 6, 55),
    ]
    assert "reasons_stay" in [r["question"] for r in data["pull"]]
    assert "suggested" not in data["funnel"] and "Fewer than 5" in data["funnel"]["text"]
    assert data["composition"]["weighted"] is False
    assert "unweighted" in data["composition"]["note"]
    municipality = data["composition"]["fields"][0]
    assert {r["name"]: r.get("respondents") for r in municipality["rows"]}["Celje"] == 20


async def test_a_group_filter_narrows_every_figure(sessions) -> None:  # type: ignore[no-untyped-def]
    views, _ = await _setup(sessions)
    group = Group.parse("municipality:celje")
    assert group == Group(ProfileField.MUNICIPALITY, "celje")
    found = await survey_figures(views, sessions, CODE, 2, group)
    assert found.views is not None and found.views.filters == (
        (ProfileField.MUNICIPALITY, ("celje",)),
    )
    data = _page(found, "sl")
    assert data["completed"] == 20 and data["group_label"] == "Občina: Celje"
    _mirrors(data, found.views)
    [intention] = [q for q in data["overview"] if q["question"] == "intention"]
    assert intention["headline"]["percent"] == 60  # 12 of Celje's 20
    # Split by municipality inside one municipality says nothing: only by age band is left.
    assert [part["field"] for part in data["breakdowns"]] == ["age_band"]
    assert data["ideas"] == []  # a group's ideas could tell who wrote them
    # Round 1 for the age band 25-34: 10 of 20.
    found = await survey_figures(views, sessions, CODE, 1, Group.parse("age_band:25_34"))
    assert found.views is not None and _page(found)["completed"] == 10


async def test_a_group_too_small_to_show_on_its_own(sessions) -> None:  # type: ignore[no-untyped-def]
    views, surveys = await _setup(sessions)
    # Nobody from the rest of the region in round 2: showing everyone but them is fine...
    found = await survey_figures(views, sessions, CODE, 2, Group.parse("municipality:prebold"))
    assert found.views is not None and found.views.completed == 10
    # ...but a group of three, or one that leaves out fewer than k, is not shown.
    await surveys.rounds.close(1, CODE)
    await surveys.rounds.open(1, CODE)
    await seed_completed(
        sessions,
        CODE,
        shipped_survey(),
        people("celje", 12, "definitely_stay") + people("savinjska", 3, "probably_leave"),
    )
    for text in ("municipality:savinjska", "municipality:celje"):
        found = await survey_figures(views, sessions, CODE, 3, Group.parse(text))
        assert found.too_small and found.views is None, text
        data = _page(found)
        assert data["too_small"] and not data["shown"] and "overview" not in data
        assert "completed" not in data
    # No such round; and anything but a known group is all respondents.
    assert (await survey_figures(views, sessions, CODE, 9, None)).views is None
    for text in (None, "", "municipality:mars", "status:employed", "celje", "age_band:"):
        assert Group.parse(text) is None


def unstated(n: int, intention: str) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    """People who left their municipality and age band empty (None in their profile)."""
    return [(None, None, answers) for _, _, answers in people("celje", n, intention)]


async def test_not_stated_is_a_group_of_its_own_under_the_k_rules(sessions) -> None:  # type: ignore[no-untyped-def]
    views, surveys = await _setup(sessions)
    await surveys.rounds.close(1, CODE)
    await surveys.rounds.open(1, CODE)
    # Round 3: 6 who stated no age band (4 would stay), and 20 from Celje aged 18-34.
    await seed_completed(
        sessions,
        CODE,
        shipped_survey(),
        unstated(4, "definitely_stay")
        + unstated(2, "probably_leave")
        + people("celje", 20, "probably_stay"),
    )
    # The service takes "not stated" (None) among a filter's codes.
    where = {ProfileField.AGE_BAND: ("na", None)}
    direct = await views.decision_views(CODE, 3, where=where)
    assert direct is not None and direct.completed == 6
    assert direct.filters == ((ProfileField.AGE_BAND, ("na", None)),)
    # The page's "not given" age group selects them, and their figures are their own.
    group = Group.parse("age_band:na")
    assert group is not None and None in group.members
    found = await survey_figures(views, sessions, CODE, 3, group)
    assert found.views is not None and not found.too_small
    data = _page(found)
    assert data["completed"] == 6 and data["group_label"] == "Age group: not given"
    [intention] = [q for q in data["overview"] if q["question"] == "intention"]
    assert intention["total"] == 6
    # Outside the region holds those with no municipality, as in the breakdowns; 6 of 26 is
    # shown, and leaving out fewer than k of a round is refused as before.
    found = await survey_figures(views, sessions, CODE, 3, Group.parse("municipality:outside"))
    assert found.views is not None and found.views.completed == 6
    # Round 4: three who stated nothing are too few to be shown on their own.
    await surveys.rounds.close(1, CODE)
    await surveys.rounds.open(1, CODE)
    await seed_completed(
        sessions,
        CODE,
        shipped_survey(),
        unstated(3, "definitely_stay") + people("celje", 20, "probably_stay"),
    )
    for text in ("age_band:na", "municipality:outside"):
        found = await survey_figures(views, sessions, CODE, 4, Group.parse(text))
        assert found.too_small and found.views is None, text
        assert "completed" not in _page(found)
