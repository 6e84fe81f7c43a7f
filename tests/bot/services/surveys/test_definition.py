"""Survey definitions: the shipped one is sound; broken ones are reported one line each."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from bot.services.surveys.definition import (
    CONTENT_DIR,
    Kind,
    Role,
    definition_files,
    load_file,
    parse,
    shipped,
)
from tests.support.cli import cli_env, run_cli

GOOD = {
    "code": "mini",
    "title": {"sl": "Mini", "en": "Mini"},
    "intro": {"sl": "Uvod", "en": "Intro"},
    "sections": [
        {
            "code": "a",
            "title": {"sl": "A", "en": "A"},
            "questions": [
                {
                    "code": "lives",
                    "type": "single",
                    "text": {"sl": "Kje?", "en": "Where?"},
                    "options": [
                        {"code": "here", "sl": "Tu", "en": "Here"},
                        {"code": "away", "sl": "Drugje", "en": "Away"},
                    ],
                },
                {
                    "code": "why",
                    "type": "multi",
                    "max": 2,
                    "text": {"sl": "Zakaj?", "en": "Why?"},
                    "show_if": {"question": "lives", "in": ["away"]},
                    "options": [
                        {"code": "jobs", "sl": "Delo", "en": "Jobs"},
                        {"code": "home", "sl": "Dom", "en": "Home"},
                        {"code": "fun", "sl": "Zabava", "en": "Fun"},
                    ],
                },
                {
                    "code": "age",
                    "type": "number",
                    "min": 0,
                    "max": 120,
                    "text": {"sl": "Starost?", "en": "Age?"},
                },
            ],
        }
    ],
}


def broken(change) -> list[str]:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(GOOD)
    change(data)
    _, problems = parse(data)
    return [str(p) for p in problems]


def test_the_shipped_survey_is_sound_and_branches() -> None:
    (survey,) = shipped()
    assert survey.code == "stay_or_leave"
    assert 15 <= len(survey.ordered) <= 25
    kinds = {q.type for q in survey.ordered}
    assert kinds == {Kind.SINGLE, Kind.MULTI, Kind.SCALE, Kind.NUMBER, Kind.TEXT}
    stayer = [q.code for q in survey.path({"lives": "celje", "intention": "probably_stay"})]
    leaver = [q.code for q in survey.path({"lives": "abroad", "origin": "prebold"})]
    assert "bring_back" in leaver and "return" in leaver and "bring_back" not in stayer
    assert "reasons_stay" in stayer and "intention" not in leaver
    assert "reasons_leave" not in stayer and "qol_overall" not in leaver
    returned = survey.path({"lives": "prebold", "residence_history": "returned"})
    assert "reasons_returned" in [q.code for q in returned]
    # m21: someone who moved from Celje to elsewhere in the region is asked why, and back.
    region = [q.code for q in survey.path({"lives": "savinjska", "origin": "celje"})]
    assert {"intention", "reasons_left", "return", "bring_back"} <= set(region)
    assert any(q.other for q in survey.ordered) and any(not q.required for q in survey.ordered)
    assert any(q.other for q in survey.ordered if q.type == Kind.MULTI)


def test_the_shipped_survey_declares_its_analysis_roles() -> None:
    (survey,) = shipped()
    keys = {q.code: q.report for q in survey.reported(Role.KEY)}
    assert list(keys) == ["intention", "return", "qol_overall", "take_part"]
    intention = keys["intention"]
    assert intention is not None and intention.headline == ["definitely_stay", "probably_stay"]
    assert [f.value for f in intention.by] == ["municipality", "age_band"]
    pull = {q.code: q.report for q in survey.reported(Role.PULL)}
    push = {q.code: q.report for q in survey.reported(Role.PUSH)}
    assert list(pull) == ["reasons_returned", "reasons_stay", "would_stay", "bring_back"]
    assert list(push) == ["reasons_leave", "reasons_left"]
    stay = pull["reasons_stay"]
    assert stay is not None and stay.among is not None
    assert stay.among.question == "intention"
    assert stay.among.in_ == ["definitely_stay", "probably_stay"]
    # Every question says what it is for (ideas are read one by one, not counted).
    unreported = [q.code for q in survey.ordered if q.report is None]
    assert unreported == ["idea", "share_idea"]


def test_pull_and_push_lists_word_the_same_domains_each_way() -> None:
    (survey,) = shipped()
    stay, leave = survey.question("reasons_stay"), survey.question("reasons_leave")
    assert stay is not None and leave is not None
    housing_stay, housing_leave = stay.option("housing"), leave.option("housing")
    assert housing_stay is not None and housing_leave is not None
    assert housing_stay.sl == "Cenovno dostopno stanovanje"
    assert housing_leave.sl == "Premalo cenovno dostopnih stanovanj"
    polluted = leave.option("environment")
    assert polluted is not None and polluted.en == "Polluted environment"
    for question in (stay, leave, survey.question("would_stay"), survey.question("bring_back")):
        assert question is not None and question.other
        none = question.option("none")
        assert none is not None and none.exclusive and none.sl == "Nič od naštetega"


def test_the_intention_and_return_scales_are_balanced() -> None:
    (survey,) = shipped()
    intention, back = survey.question("intention"), survey.question("return")
    assert intention is not None and back is not None
    assert [o.sl for o in intention.options] == [
        "Zagotovo bom ostal/-a",
        "Verjetno bom ostal/-a",
        "Verjetno se bom odselil/-a",
        "Zagotovo se bom odselil/-a",
        "Še ne vem",
    ]
    assert [o.sl for o in back.options] == [
        "Zelo verjetno",
        "Precej verjetno",
        "Malo verjetno",
        "Sploh ni verjetno",
        "Ne vem",
    ]


def test_occupation_covers_every_main_activity() -> None:
    (survey,) = shipped()
    occupation = survey.question("occupation")
    assert occupation is not None and occupation.other
    assert [o.code for o in occupation.options] == [
        "employed",
        "self_employed",
        "job_seeking",
        "school",
        "student",
        "retired",
    ]


def test_the_longest_possible_path_shrinks_as_answers_come() -> None:
    (survey,) = shipped()
    first = survey.ordered[0]
    assert survey.longest({}, first) == 22  # lives in the region, used to live in Celje...
    occupation = survey.question("occupation")
    assert occupation is not None
    celje = survey.longest({"lives": "celje"}, occupation)
    abroad = survey.longest({"lives": "abroad", "origin": "no"}, occupation)
    assert abroad < celje < 22
    # Answers after the question asked do not count (the resident may still change them).
    assert survey.longest({"lives": "abroad", "origin": "no"}, first) == 22


def test_ordinals_and_sections_are_those_of_the_definition_order() -> None:
    for survey in shipped():
        pairs = list(survey.questions())
        assert [survey.ordinal(q) for q in survey.ordered] == list(range(len(pairs)))
        for section, question in pairs:
            assert survey.section_of(question.code) is section
        assert survey.section_of("no such question") is None


def test_a_notes_file_beside_the_definitions_is_not_loaded() -> None:
    assert (CONTENT_DIR / "stay_or_leave.methods.md").is_file()
    assert [p.name for p in definition_files(CONTENT_DIR)] == ["stay_or_leave.yaml"]


def test_a_good_definition_has_no_problems() -> None:
    survey, problems = parse(GOOD)
    assert problems == [] and survey is not None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["sections"][0]["questions"][1]["show_if"].update(question="livess"),
            "question why: show_if refers to unknown question 'livess'",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(
                show_if={"question": "why", "in": ["jobs"]}
            ),
            "question lives: show_if refers to 'why', which comes later",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(
                show_if={"question": "lives", "in": ["here"]}
            ),
            "question lives: show_if refers to the question itself (a cycle)",
        ),
        (
            lambda d: d["sections"][0]["questions"][1]["text"].pop("en"),
            "question why text: missing the English translation",
        ),
        (
            lambda d: d["sections"][0]["questions"][1]["options"][2].update(sl=""),
            "question why option fun: missing the Slovenian translation",
        ),
        (
            lambda d: d["sections"][0]["questions"][2].update(code="lives"),
            "question lives: duplicate question code",
        ),
        (
            lambda d: d["sections"][0]["questions"][1]["options"][2].update(code="jobs"),
            "question why: duplicate option code 'jobs'",
        ),
        (
            lambda d: d["sections"][0]["questions"][1]["show_if"].update(**{"in": ["mars"]}),
            "question why: show_if: 'lives' has no option 'mars'",
        ),
        (
            lambda d: d["sections"][0]["questions"][1].update(max=7),
            "question why: max 7 must be between 1 and the number of options",
        ),
        (
            lambda d: d["sections"][0]["questions"][2].update(min=200),
            "question age: min 200 is above max 120",
        ),
        (
            lambda d: d["sections"][0]["questions"][2].update(
                show_if={"question": "age", "in": []}
            ),
            "question age: show_if refers to the question itself (a cycle)",
        ),
        (
            lambda d: d["sections"][0]["questions"][2].update(other=True),
            "question age: 'other' is only for a choice",
        ),
        (
            lambda d: d["sections"][0]["questions"][0]["options"][1].update(exclusive=True),
            "question lives: option away: 'exclusive' is only for multiple choice",
        ),
        (
            lambda d: d["sections"][0]["questions"][1].update(report={"role": "key"}),
            "question why report: a key question must be single choice or a scale, not multi",
        ),
        (
            lambda d: d["sections"][0]["questions"][1].update(
                report={"role": "push", "among": {"question": "lives", "in": ["mars"]}}
            ),
            "question why report: among: 'lives' has no option 'mars'",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(
                report={"role": "key", "headline": ["here"]}
            ),
            "question lives report label: missing text",
        ),
    ],
)
def test_each_problem_is_one_clear_line(change, expected: str) -> None:  # type: ignore[no-untyped-def]
    problems = broken(change)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_question_can_follow_any_answer() -> None:
    data = copy.deepcopy(GOOD)
    data["sections"][0]["questions"].append(
        {
            "code": "share",
            "type": "single",
            "text": {"sl": "Delimo?", "en": "Share?"},
            "show_if": {"question": "age", "answered": True},
            "options": [
                {"code": "y", "sl": "Da", "en": "Yes"},
                {"code": "n", "sl": "Ne", "en": "No"},
            ],
        }
    )
    survey, problems = parse(data)
    assert problems == [] and survey is not None
    assert "share" not in [q.code for q in survey.path({"lives": "here"})]
    assert "share" in [q.code for q in survey.path({"lives": "here", "age": 30})]
    data["sections"][0]["questions"][-1]["show_if"]["in"] = ["x"]
    _, problems = parse(data)
    assert any("'answered' goes alone" in str(p) for p in problems)


def test_structural_errors_name_the_place() -> None:
    problems = broken(lambda d: d["sections"][0]["questions"][0].update(type="slider"))
    assert any("sections.0.questions.0.type" in p for p in problems)
    problems = broken(lambda d: d["sections"][0]["questions"][0].update(colour="red"))
    assert any("colour" in p for p in problems)


def test_surveys_check_command(tmp_path: Path) -> None:
    bad = copy.deepcopy(GOOD)
    bad["sections"][0]["questions"][1]["show_if"]["question"] = "nowhere"
    bad["sections"][0]["questions"][2]["text"]["sl"] = ""
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    shipped_file = str(CONTENT_DIR / "stay_or_leave.yaml")
    result = run_cli("surveys", "check", shipped_file, "bad.yaml", env=cli_env(), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stay_or_leave.yaml: ok (24 questions in 4 sections, 22 with")
    assert "bad.yaml: question why: show_if refers to unknown question 'nowhere'" in lines
    assert "bad.yaml: question age text: missing the Slovenian translation" in lines
    assert len(lines) == 3
    good = run_cli("surveys", "check", shipped_file, env=cli_env(), cwd=tmp_path)
    assert good.returncode == 0


def test_unreadable_definition(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("code: [", encoding="utf-8")
    survey, problems = load_file(path)
    assert survey is None and "not valid YAML" in str(problems[0])
