"""The rules of one answer, on the definition alone: what a tap or a typed text makes the
answer, where the resident goes next, and the lab themes the answers point to."""

from __future__ import annotations

from typing import Any

from bot.services.surveys.definition import Kind, Question, Role, Survey
from bot.services.surveys.errors import SurveyError, SurveyProblem

SUMMARY = "summary"
OTHER = "other"
# Reasons, in the order they speak for a lab suggestion (what pushes people away first).
SUGGESTING = (Role.PUSH, Role.PULL)
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
    return toggled(question, picked, current), False


def toggled(question: Question, picked: str, current: Any) -> list[str] | None:
    """A multiple choice after ticking or unticking `picked` ("other" included): an
    exclusive option ("None of these") clears the others, and any other clears it."""
    chosen = list(current or [])
    if picked in chosen:
        chosen.remove(picked)
        return _in_order(question, chosen)
    exclusive = {o.code for o in question.options if o.exclusive}
    chosen = [] if picked in exclusive else [c for c in chosen if c not in exclusive]
    if question.max is not None and len(chosen) >= question.max:
        raise SurveyError(SurveyProblem.TOO_MANY, str(question.max))
    return _in_order(question, [*chosen, picked])


def _in_order(question: Question, chosen: list[str]) -> list[str] | None:
    order = question.values
    return sorted((c for c in chosen if c in order), key=order.index) or None


def other_allowed(question: Question, current: Any) -> None:
    """Whether "Other…" may be ticked now (a multiple choice may already be full)."""
    if not question.other:
        raise SurveyError(SurveyProblem.USE_BUTTONS)
    if question.type == Kind.MULTI:
        toggled(question, OTHER, [c for c in current or [] if c != OTHER])


def typed(
    question: Question | None, text: str, other: bool, current: Any = None
) -> tuple[Any, str | None]:
    """The answer (and the "other" text) a typed text gives: a number, a free text, or the
    "other" of a choice (for a multiple choice, ticked beside what is already chosen)."""
    text = text.strip()
    if question is None:
        raise SurveyError(SurveyProblem.USE_BUTTONS)
    if other and question.other and question.type in (Kind.SINGLE, Kind.MULTI):
        if not text:
            raise SurveyError(SurveyProblem.BAD_VALUE)
        if len(text) > OTHER_TEXT_MAX:
            raise SurveyError(SurveyProblem.TOO_LONG, str(OTHER_TEXT_MAX))
        if question.type == Kind.MULTI:
            kept = [c for c in current or [] if c != OTHER]
            return toggled(question, OTHER, kept), text
        return OTHER, text
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
    index = survey.ordinal(after)
    later = [q for q in path if survey.ordinal(q) > index]
    return (later[0].code if later else SUMMARY), False


def previous(survey: Survey, answers: dict[str, Any], at: Question | None) -> Question | None:
    """The question before `at` on the path (before the summary: the last one)."""
    path = survey.path(answers)
    if at is None:
        return path[-1] if path else None
    index = survey.ordinal(at)
    before = [q for q in path if survey.ordinal(q) < index]
    return before[-1] if before else None


def topics(survey: Survey, answers: dict[str, Any]) -> tuple[str, ...]:
    """Lab themes the reasons point to, most telling first."""
    found: list[str] = []
    reasons = [q for role in SUGGESTING for q in survey.reported(role)]
    # A definition declaring no roles: its multiple choices, in the order asked.
    for question in reasons or [q for q in survey.ordered if q.type == Kind.MULTI]:
        given = answers.get(question.code)
        if not given:
            continue
        for value in given if isinstance(given, list) else [given]:
            option = question.option(value)
            if option is not None and option.topic and option.topic not in found:
                found.append(option.topic)
    return tuple(found)


def progress(survey: Survey, answers: dict[str, Any], at: Question | None) -> int:
    """How far through the survey a resident at `at` is, in per cent (100 at the summary):
    the questions behind them on the path, out of the longest path still possible."""
    if at is None:
        return 100
    path = survey.path(answers)
    behind = next((i for i, q in enumerate(path) if q.code == at.code), len(path))
    longest = survey.longest(answers, at)
    return min(99, behind * 100 // longest) if longest else 0
