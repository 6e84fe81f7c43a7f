"""What announcements are made of: the compose steps, audiences, views, refusals and progress."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain import AnnouncementStatus, Bilingual, OutboxStatus, codes
from bot.profile import Profile
from bot.services.errors import DomainError
from bot.textfit import CAPTION_MAX, MESSAGE_MAX, utf16_len
from storage.models import Announcement

MAX_TEXT = MESSAGE_MAX
MAX_CAPTION = CAPTION_MAX


class Compose(StrEnum):
    """The draft's next input; stored, so composing survives a restart."""

    TEXT_SL = "text_sl"
    TEXT_EN = "text_en"
    PHOTO = "photo"
    AUDIENCE = "audience"
    AUDIENCE_VALUES = "audience_values"
    URGENCY = "urgency"
    PREVIEW = "preview"
    SCHEDULE = "schedule"


class Audience(StrEnum):
    ALL = "all"
    MUNICIPALITY = "municipality"
    TOPIC = "topic"
    LANGUAGE = "language"
    LAB = "lab"  # the participants (confirmed or offered a seat) of chosen labs


def audience_values(town: Profile) -> dict[Audience, frozenset[str]]:
    """The values an audience is narrowed by (labs are looked up: they change)."""
    return {
        Audience.MUNICIPALITY: codes(town.municipalities),
        Audience.TOPIC: codes(town.topics),
        Audience.LANGUAGE: frozenset(town.languages),
    }


class Problem(StrEnum):
    STALE = "stale"  # a button of another step or draft, a second tap
    WANTS_BUTTON = "wants_button"  # typed text or a photo where the draft waits for a button
    TEXT_TOO_LONG = "text_too_long"
    CAPTION_TOO_LONG = "caption_too_long"
    NOTHING_CHOSEN = "nothing_chosen"
    NOT_A_DATE = "not_a_date"
    IN_THE_PAST = "in_the_past"
    NOT_CANCELLABLE = "not_cancellable"


class AnnouncementError(DomainError):
    """The action does not fit the announcement's state; `limit`/`length` for a long text."""

    problem: Problem

    def __init__(self, problem: Problem, detail: str = "", *, limit: int = 0, length: int = 0):
        super().__init__(problem, detail)
        self.limit = limit
        self.length = length


@dataclass(frozen=True)
class AnnouncementView:
    id: int
    author_telegram_id: int
    author_locale: str
    status: AnnouncementStatus
    step: Compose | None
    text_sl: str | None
    text_en: str | None
    photo_file_id: str | None
    audience: Audience
    audience_values: tuple[str, ...]
    urgent: bool
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recipients: int
    report_chat_id: int | None
    report_message_id: int | None

    def text(self, locale: str) -> str:
        return Bilingual(self.text_sl, self.text_en).get(locale)


def to_view(a: Announcement) -> AnnouncementView:
    return AnnouncementView(
        id=a.id,
        author_telegram_id=a.author_telegram_id,
        author_locale=a.author_locale,
        status=AnnouncementStatus(a.status),
        step=Compose(a.step) if a.step else None,
        text_sl=a.text_sl,
        text_en=a.text_en,
        photo_file_id=a.photo_file_id,
        audience=Audience(a.audience_kind),
        audience_values=tuple(a.audience_values or ()),
        urgent=a.urgent,
        scheduled_at=a.scheduled_at,
        started_at=a.started_at,
        finished_at=a.finished_at,
        recipients=a.recipients,
        report_chat_id=a.report_chat_id,
        report_message_id=a.report_message_id,
    )


@dataclass(frozen=True)
class AudienceLab:
    """A lab whose participants can be written to."""

    id: int
    title: Bilingual
    starts_at: datetime


@dataclass(frozen=True)
class Recipient:
    resident_id: int
    chat_id: int
    locale: str


@dataclass(frozen=True)
class Preview:
    """A draft ready to send: what each language's readers see, and how many there are."""

    announcement: AnnouncementView
    bodies: dict[str, str]  # locale -> the text with its footer
    by_locale: dict[str, int]
    recipients: int
    asks_urgency: bool  # there are quiet hours, so urgency was asked
    fallback: tuple[str, ...] = ()  # offered languages that read the English text


@dataclass
class Progress:
    announcement: AnnouncementView
    counts: dict[str, int] = field(default_factory=dict)
    recent_rate: float = 0.0
    last_sent_at: datetime | None = None

    def count(self, *statuses: OutboxStatus) -> int:
        return sum(self.counts.get(s, 0) for s in statuses)

    @property
    def open(self) -> int:
        return self.count(OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Report:
    """The live report's text and the message it goes into."""

    chat_id: int
    message_id: int
    text: str
    final: bool  # the delivery report: it changes no more


def plain_text(text_html: str) -> str:
    """The text a resident sees once Telegram has applied the HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", text_html))


def plain_length(text_html: str) -> int:
    """Telegram's limits count the text after the HTML is applied, in UTF-16 units."""
    return utf16_len(plain_text(text_html))
