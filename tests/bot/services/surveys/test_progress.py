"""The progress line: on every branch of the shipped survey it only goes up, and reaches
100 % at the summary; a path that grows never makes it jump back."""

from __future__ import annotations

from typing import Any

from bot.services.surveys.answers import progress
from bot.services.surveys.definition import Kind, Question, Survey, shipped

ROUTING = ("lives", "residence_history", "origin", "intention")


PLAIN = (3, 10, "Ideja", 0)  # a scale, a number, a text, which option of a plain choice


def _answers_for(survey: Survey, question: Question, plain: tuple[Any, ...] = PLAIN) -> list[Any]:
    """Every answer to `question` that can change the path (each option of a question others
    depend on, and leaving an optional one out), else one plain answer."""
    steering = survey._branching.get(question.code)
    if steering is not None:
        values = [v for v in steering if v is not None or not question.required]
        # Every option of the questions that route residents, not just one per kind: the
        # test must not only trust the grouping it checks.
        if question.code in ROUTING:
            values = [o.code for o in question.options] + (["other"] if question.other else [])
            values += [] if question.required else [None]
        return values
    scale, number, text, option = plain
    if question.type in (Kind.SINGLE, Kind.MULTI):
        chosen = question.options[option].code
        return [[chosen] if question.type == Kind.MULTI else chosen]
    return [{Kind.SCALE: scale, Kind.NUMBER: number, Kind.TEXT: text}[question.type]]


def _walk(  # type: ignore[no-untyped-def]
    survey: Survey,
    answers: dict[str, Any],
    shown: list[int],
    paths: list[list[int]],
    check=None,
    plain: tuple[Any, ...] = PLAIN,
):
    """Answer forward, as a resident does, branching at every answer that matters."""
    path = survey.path(answers)
    unanswered = [q for q in path if q.code not in answers and q.code not in _skipped(answers)]
    if not unanswered:
        paths.append([*shown, progress(survey, answers, None)])
        return
    question = unanswered[0]
    value = progress(survey, answers, question)
    if check is not None:
        check(answers, question)
    for answer in _answers_for(survey, question, plain):
        following = dict(answers)
        if answer is None:
            following.setdefault("__skipped__", set())
            following["__skipped__"] = following["__skipped__"] | {question.code}
        else:
            following[question.code] = answer
        _walk(survey, following, [*shown, value], paths, check, plain)


def _skipped(answers: dict[str, Any]) -> set[str]:
    return answers.get("__skipped__", set())


def test_progress_never_goes_down_on_any_branch_and_ends_at_100() -> None:
    (survey,) = shipped()
    paths: list[list[int]] = []
    _walk(survey, {}, [], paths)
    assert len(paths) > 300  # every way through: places, returners, intentions, skips
    lengths = set()
    for shown in paths:
        assert shown == sorted(shown), shown
        assert shown[-1] == 100 and all(v < 100 for v in shown[:-1])
        assert shown[0] == 0
        lengths.add(len(shown) - 1)
    assert min(lengths) < 10 and max(lengths) == 22


def test_progress_on_the_longest_path_moves_evenly() -> None:
    (survey,) = shipped()
    answers: dict[str, Any] = {"lives": "savinjska", "origin": "celje", "occupation": "employed"}
    answers |= {"work_place": "ljubljana", "intention": "dont_know", "idea": "Več zelenja"}
    path = survey.path(answers)
    assert len(path) == 22
    shown = [progress(survey, answers, q) for q in path]
    assert shown == [i * 100 // 22 for i in range(22)]


def test_a_longest_path_remembered_from_another_branch_is_the_one_worked_out_afresh() -> None:
    """The longest path is kept per definition, by the answers that steer it: on every branch
    the kept figure (often found by a resident on another branch, with other answers to the
    questions that steer nothing) is the figure worked out from nothing."""
    (survey,) = shipped()
    checked: list[int] = []

    def check(answers: dict[str, Any], question: Question) -> None:
        remembered = survey.longest(answers, question)
        survey._longest_known.clear()
        assert survey.longest(answers, question) == remembered, (answers, question.code)
        checked.append(remembered)

    _walk(survey, {}, [], [], check)
    assert len(checked) > 1000
    # Residents who gave other answers to the questions that steer nothing share the figures.
    survey._longest_known.clear()
    _walk(survey, {}, [], [])
    kept = len(survey._longest_known)
    _walk(survey, {}, [], [], plain=(4, 11, "Druga ideja", -1))
    assert len(survey._longest_known) == kept
