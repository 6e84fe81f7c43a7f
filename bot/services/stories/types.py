"""What stories are made of: the steps of a draft, statuses, limits, views and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain import Bilingual
from bot.services.errors import DomainError
from bot.textfit import utf16_len
from storage.models import Story

TITLE_MAX = 100
TEXT_MAX = 3000  # with its title and footer a story still fits one message
REASON_MAX = 500
PAGE = 5


class StoryStep(StrEnum):
    TITLE_SL = "title_sl"
    TITLE_EN = "title_en"
    TEXT_SL = "text_sl"
    TEXT_EN = "text_en"
    TOPIC = "topic"
    PHOTO = "photo"
    PREVIEW = "preview"


TEXT_STEPS = (StoryStep.TITLE_SL, StoryStep.TITLE_EN, StoryStep.TEXT_SL, StoryStep.TEXT_EN)


class StoryStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class StoryKind(StrEnum):
    OFFICIAL = "official"  # a coordinator's, in both languages, published at once
    RESIDENT = "resident"  # a resident's, in their language, moderated first


class StoryAwaiting(StrEnum):
    DRAFT = "story"  # story:<id>
    REJECT = "storyrej"  # storyrej:<id>
    EDIT = "storyedit"  # storyedit:<id>:<field>


class Editable(StrEnum):
    """What a coordinator may correct in a resident's story before approving it."""

    TITLE = "title"
    TEXT = "text"


class StoryProblem(StrEnum):
    STALE = "stale"
    NOT_FOUND = "not_found"
    WANTS_BUTTON = "wants_button"
    WANTS_TEXT = "wants_text"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    MODERATED = "moderated"


class StoryError(DomainError):
    problem: StoryProblem

    def __init__(self, problem: StoryProblem, detail: str = "", *, limit: int = 0, length: int = 0):
        super().__init__(problem, detail)
        self.limit = limit
        self.length = length


def checked_text(text: str | None, limit: int) -> str:
    value = (text or "").strip()
    if not value:
        raise StoryError(StoryProblem.EMPTY)
    length = utf16_len(value)
    if length > limit:
        raise StoryError(StoryProblem.TOO_LONG, limit=limit, length=length)
    return value


def steps_for(kind: StoryKind, locale: str) -> tuple[StoryStep, ...]:
    """A coordinator writes both languages; a resident writes in their own."""
    if kind == StoryKind.OFFICIAL:
        return (*TEXT_STEPS, StoryStep.TOPIC, StoryStep.PHOTO, StoryStep.PREVIEW)
    title, text = (
        (StoryStep.TITLE_SL, StoryStep.TEXT_SL)
        if locale == "sl"
        else (StoryStep.TITLE_EN, StoryStep.TEXT_EN)
    )
    return (title, text, StoryStep.TOPIC, StoryStep.PHOTO, StoryStep.PREVIEW)


@dataclass(frozen=True)
class StoryView:
    id: int
    author_id: int | None
    author_locale: str
    kind: StoryKind
    status: StoryStatus
    step: StoryStep | None
    title: Bilingual
    text: Bilingual
    topic: str | None
    photo_file_id: str | None
    reject_reason: str | None
    recipients: int
    created_at: datetime
    published_at: datetime | None


def to_view(story: Story) -> StoryView:
    return StoryView(
        id=story.id,
        author_id=story.author_id,
        author_locale=story.author_locale,
        kind=StoryKind(story.kind),
        status=StoryStatus(story.status),
        step=StoryStep(story.step) if story.step else None,
        title=Bilingual(story.title_sl, story.title_en),
        text=Bilingual(story.text_sl, story.text_en),
        topic=story.topic,
        photo_file_id=story.photo_file_id,
        reject_reason=story.reject_reason,
        recipients=story.recipients,
        created_at=story.created_at,
        published_at=story.published_at,
    )


@dataclass(frozen=True)
class StoryPage:
    stories: tuple[StoryView, ...]
    total: int
    offset: int
