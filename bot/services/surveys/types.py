"""What the survey services hand back: a resident's position in their response, a submitted
response, and a round's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain import Bilingual, RoundStatus
from bot.services.surveys.definition import Question, Survey


@dataclass(frozen=True)
class Position:
    """Where a resident is in their response: a question, or the summary."""

    survey: Survey
    version_id: int
    round_number: int
    anonymous: bool
    question: Question | None  # None: the summary
    answers: dict[str, Any]  # answered (not skipped) question code -> value
    other_texts: dict[str, str]
    skipped: frozenset[str]
    path: tuple[Question, ...]
    editing: bool = False
    progress: int = 0  # per cent, never lower than what the resident was shown before

    @property
    def index(self) -> int:
        """1-based number of the current question on the resident's path."""
        if self.question is None:
            return len(self.path)
        return next(i for i, q in enumerate(self.path, start=1) if q.code == self.question.code)

    @property
    def total(self) -> int:
        return len(self.path)

    def ordinal(self, question: Question) -> int:
        """The question's index in the whole definition (what buttons carry)."""
        return self.survey.ordinal(question)


@dataclass(frozen=True)
class Submitted:
    survey: Survey
    respondent: str
    topics: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RoundState:
    code: str
    title: Bilingual
    number: int | None
    status: RoundStatus | None
    completed: int = 0
    partial: int = 0
    opened_at: datetime | None = None
    invited: bool = False
