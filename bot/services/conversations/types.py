"""What the conversation feature hands the Telegram layer: views, cards and its one error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain import Bilingual
from bot.services.errors import DomainError


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class StatementStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


VOTES = {"a": 1, "d": -1, "p": 0}  # the letters vote buttons carry


class ConversationProblem(StrEnum):
    NONE_OPEN = "none_open"
    UNKNOWN = "unknown"
    CLOSED = "closed"
    ALREADY_VOTED = "already_voted"  # a second press on a statement's buttons
    NOT_CURRENT = "not_current"  # a button for a statement that is not the one shown
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    TOO_MANY_PENDING = "too_many_pending"
    ALREADY_INVITED = "already_invited"
    ALREADY_MODERATED = "already_moderated"
    TOO_FEW_VOTERS = "too_few_voters"
    NOT_ONBOARDED = "not_onboarded"


class ConversationError(DomainError):
    """A refusal: `problem` picks the text, `count`/`needed` fill it in."""

    def __init__(
        self, problem: ConversationProblem, detail: str = "", *, count: int = 0, needed: int = 0
    ):
        super().__init__(problem, detail)
        self.count = count
        self.needed = needed


@dataclass(frozen=True)
class ConversationView:
    id: int
    question: Bilingual
    status: ConversationStatus
    opened_at: datetime
    statements: int  # approved, in the pool
    pending: int  # residents' statements waiting for a coordinator
    voters: int  # people with at least one vote
    invited: bool
    results_sent: bool

    @property
    def is_open(self) -> bool:
        return self.status == ConversationStatus.OPEN


@dataclass(frozen=True)
class Card:
    """What one resident sees: the next statement to vote on, or that they have seen all."""

    conversation_id: int
    question: Bilingual
    statement_id: int | None
    text: Bilingual | None
    position: int  # 1-based number of the statement shown (votes so far + 1)
    total: int  # statements in the pool
    voted: int

    @property
    def done(self) -> bool:
        return self.statement_id is None


@dataclass(frozen=True)
class PendingStatement:
    id: int
    conversation_id: int
    question: Bilingual
    text: str


@dataclass(frozen=True)
class Moderation:
    statement: PendingStatement
    approved: bool
