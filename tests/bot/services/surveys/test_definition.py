"""Survey definitions: the shipped one is sound; broken ones are reported one line each."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from bot.services.surveys.definition import CONTENT_DIR, Kind, load_file, parse, shipped
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
    stayer = [q.code for q in survey.path({"lives": "celje", "intention": "stay"})]
    leaver = [q.code for q in survey.path({"lives": "abroad", "origin": "prebold"})]
    assert "bring_back" in leaver and "return" in leaver and "bring_back" not in stayer
    assert "reasons_stay" in stayer and "intention" not in leaver
    assert any(q.other for q in survey.ordered) and any(not q.required for q in survey.ordered)


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
    assert lines[0].startswith("stay_or_leave.yaml: ok (21 questions")
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
