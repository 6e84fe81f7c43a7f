"""What can go wrong with a survey answer or round, for a polite reply."""

from __future__ import annotations

from enum import StrEnum

from bot.services.errors import DomainError


class SurveyProblem(StrEnum):
    NO_ROUND = "no_round"
    DONE = "done"
    NOT_STARTED = "not_started"
    STALE = "stale"
    BAD_VALUE = "bad_value"
    REQUIRED = "required"
    TOO_MANY = "too_many"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"
    NOT_A_NUMBER = "not_a_number"
    USE_BUTTONS = "use_buttons"
    ALREADY_OPEN = "already_open"
    NOT_OPEN = "not_open"
    UNKNOWN_SURVEY = "unknown_survey"


class SurveyError(DomainError):
    """A survey answer or round the domain refuses; `problem` is a SurveyProblem."""

    problem: SurveyProblem

    def __init__(self, problem: SurveyProblem, detail: str = ""):
        super().__init__(problem, detail)
