"""What ideas are made of: the steps of a draft, statuses, outcomes, limits, views, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.services.errors import DomainError
from bot.textfit import utf16_len
from storage.models import Idea

# Lengths in UTF-16 units, as Telegram counts them.
TITLE_MAX = 100
TEXT_MAX = 1000
REASON_MAX = 500
ANSWER_MAX = 1000
PAGE = 5


class IdeaStep(StrEnum):
    """The draft's next input; stored, so writing an idea survives a restart."""

    TITLE = "title"
    TEXT = "text"
    TOPIC = "topic"
    MUNICIPALITY = "municipality"
    PHOTO = "photo"
    PREVIEW = "preview"


TEXT_STEPS = (IdeaStep.TITLE, IdeaStep.TEXT)


class IdeaStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"  # waiting for a coordinator
    PUBLISHED = "published"
    REJECTED = "rejected"


class Outcome(StrEnum):
    """The coordinators' official status of a published idea."""

    CONSIDERING = "considering"
    LAB = "lab"  # taken to a lab
    PLANNED = "planned"
    DONE = "done"
    NOT_FEASIBLE = "not_feasible"


class Order(StrEnum):
    NEWEST = "new"
    SUPPORTED = "top"


class Editable(StrEnum):
    """What a coordinator may correct in an idea before or after approving it."""

    TITLE = "title"
    TEXT = "text"


class IdeaAwaiting(StrEnum):
    """`resident.awaiting` kinds: what the next typed text is for."""

    DRAFT = "idea"  # idea:<id>
    REJECT = "idearej"  # idearej:<id>
    EDIT = "ideaedit"  # ideaedit:<id>:<field>
    ANSWER = "ideaans"  # ideaans:<id>:<outcome>[:<lab id>]


class IdeaProblem(StrEnum):
    STALE = "stale"  # a button of another step or idea, a second tap
    NOT_FOUND = "not_found"
    WANTS_BUTTON = "wants_button"  # typed text where the draft waits for a button
    WANTS_TEXT = "wants_text"  # a photo (or the like) where text is expected
    EMPTY = "empty"
    TOO_LONG = "too_long"
    MODERATED = "moderated"  # another coordinator decided first
    NOT_PUBLISHED = "not_published"
    OWN_IDEA = "own_idea"  # authors do not support their own idea
    NOT_YOURS = "not_yours"


class IdeaError(DomainError):
    """The action does not fit the idea's state; `limit`/`length` for a text too long."""

    problem: IdeaProblem

    def __init__(self, problem: IdeaProblem, detail: str = "", *, limit: int = 0, length: int = 0):
        super().__init__(problem, detail)
        self.limit = limit
        self.length = length


def checked_text(text: str | None, limit: int) -> str:
    """Typed text, trimmed; refused when empty or longer than `limit` UTF-16 units."""
    value = (text or "").strip()
    if not value:
        raise IdeaError(IdeaProblem.EMPTY)
    length = utf16_len(value)
    if length > limit:
        raise IdeaError(IdeaProblem.TOO_LONG, limit=limit, length=length)
    return value


@dataclass(frozen=True)
class IdeaView:
    id: int
    author_id: int | None
    author_locale: str
    status: IdeaStatus
    step: IdeaStep | None
    title: str
    text: str
    topic: str | None
    municipality: str | None
    photo_file_id: str | None
    reject_reason: str | None
    outcome: Outcome | None
    answer: str | None
    lab_id: int | None
    supports: int
    created_at: datetime
    published_at: datetime | None


def to_view(idea: Idea, supports: int = 0) -> IdeaView:
    return IdeaView(
        id=idea.id,
        author_id=idea.author_id,
        author_locale=idea.author_locale,
        status=IdeaStatus(idea.status),
        step=IdeaStep(idea.step) if idea.step else None,
        title=idea.title or "",
        text=idea.text or "",
        topic=idea.topic,
        municipality=idea.municipality,
        photo_file_id=idea.photo_file_id,
        reject_reason=idea.reject_reason,
        outcome=Outcome(idea.outcome) if idea.outcome else None,
        answer=idea.answer,
        lab_id=idea.lab_id,
        supports=supports,
        created_at=idea.created_at,
        published_at=idea.published_at,
    )


@dataclass(frozen=True)
class IdeaCard:
    """A published idea as one resident sees it."""

    idea: IdeaView
    supported: bool  # by this resident
    mine: bool


@dataclass(frozen=True)
class IdeaPage:
    ideas: tuple[IdeaView, ...]
    total: int
    offset: int
    topic: str | None
    order: Order


@dataclass(frozen=True)
class TopIdea:
    """For the digest: an idea and how many supports it gathered in the period."""

    id: int
    title: str
    topic: str | None
    new_supports: int
    supports: int
