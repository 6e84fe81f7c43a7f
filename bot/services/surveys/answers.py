"""The rules of one answer, on the definition alone: what a tap or a typed text makes the
answer, where the resident goes next, and the lab themes the answers point to."""

from __future__ import annotations

from typing import Any

from bot.services.surveys.definition import Kind, Question, Survey
from bot.services.surveys.errors import SurveyError, SurveyProblem

SUMMARY = "summary"
# Reasons, in the order they speak for a lab suggestion (pushed away first).
SUGGESTING = ("reasons_leave", "would_stay", "reasons_left", "bring_back", "reasons_stay")
OTHER_TEXT_MAX = 200


def tapped(question: Question, option: int, current: Any) -> tuple[Any, bool]:
    """The answer after a tap on an option, and whether it is complete: a scale or a single
    choice answers at once; a multiple choice toggles the option and waits for Done."""
    if question.type == Kind.SCALE:
        if not 1 <= option <= 5:
            raise SurveyError(SurveyProblem.BAD_VALUE, str(option))
        return option, True
    if question.type not in (Kind.SINGLE, Kind.MULTI):
        raise SurveyError(SurveyProblem.USE_BUTTONS)
    if not 0 <= option < len(question.options):
        raise SurveyError(SurveyProblem.BAD_VALUE, str(option))
    picked = question.options[option].code
    if question.type == Kind.SINGLE:
        return picked, True
    chosen = list(current or [])
    if picked in chosen:
        chosen.remove(picked)
    elif question.max is not None and len(chosen) >= question.max:
        raise SurveyError(SurveyProblem.TOO_MANY, str(question.max))
    else:
        chosen.append(picked)
    order = [o.code for o in question.options]
    return sorted(chosen, key=order.index) or None, False


def typed(question: Question | None, text: str, other: bool) -> tuple[Any, str | None]:
    """The answer (and the "other" text) a typed text gives: a number, a free text, or the
    "other" of a single choice."""
    text = text.strip()
    if question is None:
        raise SurveyError(SurveyProblem.USE_BUTTONS)
    if other and question.type == Kind.SINGLE and question.other:
        if not text:
            raise SurveyError(SurveyProblem.BAD_VALUE)
        if len(text) > OTHER_TEXT_MAX:
            raise SurveyError(SurveyProblem.TOO_LONG, str(OTHER_TEXT_MAX))
        return "other", text
    if question.type == Kind.NUMBER:
        return _number(question, text), None
    if question.type == Kind.TEXT:
        if not text:
            raise SurveyError(SurveyProblem.BAD_VALUE)
        if len(text) > question.text_limit:
            raise SurveyError(SurveyProblem.TOO_LONG, str(question.text_limit))
        return text, None
    raise SurveyError(SurveyProblem.USE_BUTTONS)


def _number(question: Question, text: str) -> int:
    normalised = text.replace(",", ".").replace(" ", "")
    try:
        number = float(normalised)
    except ValueError:
        raise SurveyError(SurveyProblem.NOT_A_NUMBER) from None
    if not number.is_integer():
        raise SurveyError(SurveyProblem.NOT_A_NUMBER)
    assert question.min is not None and question.max is not None
    if not question.min <= number <= question.max:
        raise SurveyError(SurveyProblem.OUT_OF_RANGE)
    return int(number)


def following(
    survey: Survey, answers: dict[str, Any], seen: set[str], after: Question, editing: bool
) -> tuple[str, bool]:
    """Where the resident goes after answering `after`, and whether they are still editing:
    the next question on the path; when editing from the summary, the first question the
    change newly put on the path, else back to the summary."""
    path = survey.path(answers)
    if editing:
        unseen = [q for q in path if q.code not in seen]
        return (unseen[0].code if unseen else SUMMARY), bool(unseen)
    index = survey.ordered.index(after)
    later = [q for q in path if survey.ordered.index(q) > index]
    return (later[0].code if later else SUMMARY), False


def previous(survey: Survey, answers: dict[str, Any], at: Question | None) -> Question | None:
    """The question before `at` on the path (before the summary: the last one)."""
    path = survey.path(answers)
    if at is None:
        return path[-1] if path else None
    index = survey.ordered.index(at)
    before = [q for q in path if survey.ordered.index(q) < index]
    return before[-1] if before else None


def topics(survey: Survey, answers: dict[str, Any]) -> tuple[str, ...]:
    """Lab themes the reasons point to, most telling first."""
    found: list[str] = []
    for code in SUGGESTING:
        question = survey.question(code)
        given = answers.get(code)
        if question is None or not given:
            continue
        for value in given if isinstance(given, list) else [given]:
            option = question.option(value)
            if option is not None and option.topic and option.topic not in found:
                found.append(option.topic)
    return tuple(found)
