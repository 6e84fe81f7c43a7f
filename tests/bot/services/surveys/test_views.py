"""Decision views: k-safe two-way tables, dominated groups, the change between rounds, and a
survey of its own whose declared roles drive every view."""

from __future__ import annotations

import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.i18n import I18n
from bot.services.surveys.change import difference
from bot.services.surveys.definition import ProfileField, Role, Survey, load_file
from bot.services.surveys.figures import DigestData
from bot.services.surveys.notices import digest_text
from bot.services.surveys.protect import protect_table, suppress
from bot.services.surveys.views import HEADLINE, REST, ViewError, build
from bot.textfit import MESSAGE_MAX, utf16_len
from storage.repositories.digests import Answered

TZ = ZoneInfo("Europe/Ljubljana")
FIXTURE = Path(__file__).parent / "fixtures" / "decisions.yaml"
K = 5


def fixture_survey() -> Survey:
    survey, problems = load_file(FIXTURE)
    assert survey is not None and not problems, problems
    return survey


def tr(locale: str = "sl"):  # type: ignore[no-untyped-def]
    return I18n(TZ, locale).get(locale)


def people(
    municipality: str | None, n: int, plans: str, age: str = "25_34", **more: object
) -> list[Answered]:
    answers: dict[str, object] = {"plans": plans, **more}
    if plans == "stay":
        answers.setdefault("why_stay", ["family"])
    else:
        answers.setdefault("why_go", ["flats"])
    return [Answered(1, municipality, age, "employed", dict(answers)) for _ in range(n)]


def determined(counts: list[list[int]], shown) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Hidden cells an outsider can work out exactly from what is shown: a cell is pinned when
    its unit vector lies in the span of the row and column equations (linear algebra, apart
    from the code under test)."""
    rows, cols = len(counts), len(counts[0])
    hidden = [(r, c) for r in range(rows) for c in range(cols) if shown.cells[r][c] is None]
    index = {cell: i for i, cell in enumerate(hidden)}
    equations = []
    for r in range(rows):
        if shown.row_totals[r] is not None:
            equations.append([1.0 if cell[0] == r else 0.0 for cell in hidden])
    for c in range(cols):
        if shown.column_totals[c] is not None:
            equations.append([1.0 if cell[1] == c else 0.0 for cell in hidden])
    matrix = np.array(equations) if equations else np.zeros((0, len(hidden)))
    rank = np.linalg.matrix_rank(matrix) if len(matrix) else 0
    pinned = []
    for cell in hidden:
        unit = np.zeros(len(hidden))
        unit[index[cell]] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            pinned.append(cell)
    return pinned


def test_one_way_suppression_still_hides_what_the_total_would_reveal() -> None:
    cells, total = suppress({"stay": 8, "maybe": 6, "leave": 2, "unsure": 0}, K)
    assert cells == {"stay": 8, "maybe": None, "leave": None, "unsure": 0} and total


def test_a_small_cell_is_protected_along_its_row_and_its_column() -> None:
    counts = [[10, 10, 10], [10, 10, 3], [10, 10, 10]]
    shown = protect_table(counts, K)
    hidden = {(r, c) for r in range(3) for c in range(3) if shown.cells[r][c] is None}
    assert (1, 2) in hidden
    # Complementary cells in its row AND in its column, closing a rectangle.
    assert sum(1 for r, c in hidden if r == 1) >= 2
    assert sum(1 for r, c in hidden if c == 2) >= 2
    for r, c in hidden:
        assert sum(1 for rr, _ in hidden if rr == r) >= 2
        assert sum(1 for _, cc in hidden if cc == c) >= 2
    assert len(hidden) == 4  # no more than needed here
    # Row and column totals and the grand total stay shown, and pin nothing down.
    assert shown.row_totals == [30, 23, 30] and shown.column_totals == [30, 30, 23]
    assert determined(counts, shown) == []


def test_hiding_only_along_rows_would_leave_a_column_to_give_it_away() -> None:
    # Row 0's small cell paired within its row (with the 9) would still be pinned by column
    # 0's total: the table must hide along the columns too.
    counts = [[2, 9, 20], [20, 20, 20], [20, 20, 20]]
    shown = protect_table(counts, K)
    assert shown.cells[0][0] is None
    assert sum(1 for r in range(3) if shown.cells[r][0] is None) >= 2
    assert determined(counts, shown) == []


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_leave_no_hidden_cell_to_be_worked_out(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    counts = rng.choice([0, 1, 2, 3, 4, 6, 8, 12, 20], size=(rows, cols)).tolist()
    shown = protect_table(counts, K)
    if shown.withheld:
        return
    assert determined(counts, shown) == []
    for r, c in itertools.product(range(rows), range(cols)):
        if 0 < counts[r][c] < K:
            assert shown.cells[r][c] is None  # primary suppression
        if shown.cells[r][c] is not None:
            assert shown.cells[r][c] == counts[r][c]
    for c in range(cols):
        if 0 < sum(row[c] for row in counts) < K:
            assert shown.column_totals[c] is None


def test_a_group_that_answered_alike_is_merged_not_shown() -> None:
    """Prebold, 6 respondents, all "will leave": that group is not shown on its own."""
    survey = fixture_survey()
    responses = (
        people("celje", 8, "stay")
        + people("celje", 6, "go")
        + people("celje", 5, "maybe")
        + people("prebold", 6, "go")
        + people("savinjska", 5, "stay")
        + people("savinjska", 3, "maybe")
        + people("abroad", 5, "maybe")
    )
    views = build(survey, "decisions", 1, responses, K)
    places = views.key[0].breakdowns[0]
    assert not places.withheld
    prebold = [c for c in places.columns if "prebold" in c.members]
    assert prebold and prebold[0].members != ("prebold",)  # merged with a neighbour
    assert places.merged_groups
    for column in places.columns:
        shown = [n for n in column.cells.values() if n is not None]
        assert not (column.total and shown and max(shown) >= column.total - 1)
    text = digest_text(tr("en"), DigestData(views, 0, None))
    assert "Prebold 100 %" not in text and "Prebold (6)" not in text


def test_an_overall_answer_everyone_gave_is_withheld() -> None:
    """Ten respondents who all will stay: no "I will stay: 100 %"."""
    survey = fixture_survey()
    views = build(survey, "decisions", 1, people("celje", 10, "stay"), K)
    plans = views.key[0]
    assert plans.overall.withheld and plans.overall.total is None
    assert plans.headline is not None and plans.headline.share is None
    text = digest_text(tr("en"), DigestData(views, 0, None))
    assert "100 %" not in text and "I will stay" not in text
    assert "Not shown: too few people, or answers so alike" in text
    # All but one alike is as telling.
    views = build(survey, "decisions", 1, people("celje", 9, "stay") + people("celje", 1, "go"), K)
    assert views.key[0].overall.withheld


def test_the_headline_share_does_not_reveal_a_hidden_cell() -> None:
    survey = fixture_survey()
    views = build(
        survey,
        "decisions",
        1,
        people("celje", 9, "stay") + people("celje", 8, "go") + people("celje", 2, "maybe"),
        K,
    )
    plans = views.key[0]
    assert plans.headline is not None and plans.headline.count == 9
    # Shown: stay 9 of 19, so the rest (10) is known: go and maybe are hidden together.
    assert plans.overall.cells["maybe"] is None and plans.overall.cells["go"] is None


def test_a_real_change_is_flagged_and_noise_is_not() -> None:
    diff, low, high = difference(40, 50, 20, 50)
    assert round(diff) == 40 and 0 < low < diff < high
    # Newcomb's hybrid score interval worked by hand from the two Wilson intervals:
    # 40 % − sqrt((0.8 − 0.6696)² + (0.5382 − 0.4)²) and + sqrt((0.8875 − 0.8)² + (0.4 − 0.2761)²).
    assert (round(low, 1), round(high, 1)) == (21.0, 55.2)
    survey = fixture_survey()
    before = people("celje", 15, "stay") + people("celje", 35, "go")
    now = people("celje", 35, "stay") + people("celje", 15, "go")
    views = build(survey, "decisions", 2, now, K, previous=(1, before))
    change = views.key[0].change
    assert change is not None and change.clear and round(change.difference or 0) == 40
    text = digest_text(tr("en"), DigestData(views, 0, None))
    assert "Since round 1: +40 percentage points" in text and "a clear change" in text
    sl = digest_text(tr("sl"), DigestData(views, 0, None))
    assert "+40 odstotnih točk" in sl and "jasna sprememba" in sl
    noise = people("celje", 26, "stay") + people("celje", 24, "go")
    earlier = people("celje", 24, "stay") + people("celje", 26, "go")
    views = build(survey, "decisions", 2, noise, K, previous=(1, earlier))
    change = views.key[0].change
    assert change is not None and not change.clear
    assert change.low is not None and change.low < 0 < (change.high or 0)
    text = digest_text(tr("en"), DigestData(views, 0, None))
    assert "no clear change" in text and "a clear change" not in text


def test_a_survey_of_its_own_reports_its_declared_roles() -> None:
    survey = fixture_survey()
    assert [q.code for q in survey.reported(Role.KEY)] == ["plans", "mood"]
    responses = (
        people("celje", 12, "stay", why_stay=["family", "nature"], mood=5)
        + people("celje", 9, "go", why_go=["flats", "wages"], mood=2)
        + people("prebold", 7, "stay", why_stay=["nature"], mood=4)
        + people("prebold", 6, "maybe", why_go=["flats", "buses"], mood=1, age="18_24")
        + people("savinjska", 3, "go", why_go=["wages"], mood=3, age="18_24")
        + people("savinjska", 3, "stay", mood=3, age="18_24")
    )
    views = build(survey, "decisions", 1, responses, K)
    assert [f.question for f in views.key] == ["plans", "mood"]  # commute is context only
    plans, mood = views.key
    assert [b.field for b in plans.breakdowns] == [ProfileField.MUNICIPALITY, ProfileField.AGE_BAND]
    assert [b.field for b in mood.breakdowns] == [ProfileField.MUNICIPALITY]
    assert plans.headline is not None and plans.headline.count == 22 and plans.headline.total == 40
    assert mood.headline is not None and mood.headline.options == ("4", "5")
    # Push among those who intend to leave (18 people), pull among those who stay (22).
    [push] = views.push
    [pull] = views.pull
    assert push.question == "why_go" and push.people == 18
    assert push.top == (("flats", 15), ("wages", 12), ("buses", 6))
    assert pull.question == "why_stay" and pull.people == 22
    assert pull.top == (("nature", 19), ("family", 15))
    places = plans.breakdowns[0]
    names = [c.members for c in places.columns]
    assert names[0] == ("celje",) and names[1] == ("prebold",)
    text = digest_text(tr("en"), DigestData(views, 0, None))
    assert "Do you intend to stay?" in text and "How satisfied are you?" in text
    assert "will stay: 55 % (Celje " in text and "Prebold" in text
    assert "Top reasons to leave" in text and "Housing: 83 %" in text
    assert "Top reasons to stay" in text and "Nature: 86 %" in text
    assert "How do you travel?" not in text


def test_a_version_without_roles_reports_counts_only() -> None:
    survey = fixture_survey()
    bare = Survey.model_validate(
        {
            **survey.model_dump(mode="json", by_alias=True),
            "sections": [
                {
                    **section.model_dump(mode="json", by_alias=True),
                    "questions": [
                        {**q.model_dump(mode="json", by_alias=True), "report": None}
                        for q in section.questions
                    ],
                }
                for section in survey.sections
            ],
        }
    )
    views = build(bare, "decisions", 1, people("celje", 12, "stay") + people("prebold", 9, "go"), K)
    assert not views.roles_declared and views.key == () and views.push == ()
    text = digest_text(tr("en"), DigestData(views, 0, None))
    assert "does not say which questions are key" in text and "21 completed responses" in text
    assert "• Celje: 12" in text


def test_the_digest_fits_one_message_however_long_the_survey() -> None:
    survey = fixture_survey()
    data = survey.model_dump(mode="json", by_alias=True)
    long_text = {"sl": "Zelo dolgo vprašanje " * 12, "en": "A very long question " * 12}
    template = data["sections"][0]["questions"][0]
    many = [
        {**template, "code": f"plans{i}", "text": long_text, "report": template["report"]}
        for i in range(25)
    ]
    data["sections"][0]["questions"] = [*many, *data["sections"][0]["questions"][1:]]
    big = Survey.model_validate(data)
    responses = [
        Answered(1, m, "25_34", "employed", {f"plans{i}": p for i in range(25)} | {"plans": p})
        for m, p in [("celje", "stay")] * 20 + [("prebold", "go")] * 15 + [("abroad", "maybe")] * 9
    ]
    views = build(big, "decisions", 2, responses, K, previous=(1, responses[:30]))
    ideas = ["Ideja " * 80] * 10
    for locale in ("sl", "en"):
        text = digest_text(tr(locale), DigestData(views, 3, 1, ideas=ideas))
        assert utf16_len(text) <= MESSAGE_MAX
        assert text.count("<b>") == text.count("</b>")  # cut between lines, never inside a tag
        assert text.endswith("…")


def test_breakdowns_merge_answers_to_the_headline_when_the_full_table_hides_too_much() -> None:
    survey = fixture_survey()
    responses = (
        people("celje", 6, "stay")
        + people("celje", 3, "maybe")
        + people("celje", 3, "go")
        + people("prebold", 7, "stay")
        + people("prebold", 3, "maybe")
        + people("prebold", 3, "go")
    )
    views = build(survey, "decisions", 1, responses, K)
    places = views.key[0].breakdowns[0]
    assert places.merged_answers and places.rows == (HEADLINE, REST)
    celje, prebold = places.columns
    assert celje.cells == {HEADLINE: 6, REST: 6} and prebold.cells == {HEADLINE: 7, REST: 6}


def test_a_filter_narrows_the_respondents_unless_it_leaves_out_a_small_group() -> None:
    survey = fixture_survey()
    responses = people("celje", 12, "stay") + people("celje", 8, "go") + people("prebold", 9, "go")
    where = ((ProfileField.MUNICIPALITY, ("celje",)),)
    views = build(survey, "decisions", 1, responses, K, filters=where)
    assert views.completed == 20 and views.key[0].headline is not None
    assert views.key[0].headline.share == 60.0
    # Leaving out only three people would let them be told apart from the whole round.
    few = responses + people("abroad", 3, "go")
    with pytest.raises(ViewError):
        build(
            survey,
            "decisions",
            1,
            few,
            K,
            filters=((ProfileField.MUNICIPALITY, ("celje", "prebold")),),
        )
