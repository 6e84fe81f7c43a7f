"""What can go wrong with a survey answer or round, for a polite reply."""

from __future__ import annotations

from enum import StrEnum


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


class SurveyError(Exception):
    def __init__(self, problem: SurveyProblem, detail: str = ""):
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail
