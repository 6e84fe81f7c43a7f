"""Announcements: the coordinator's draft, the audience, and the outbox rows in each language."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import MUNICIPALITIES, TOPICS, codes
from bot.i18n import I18n, resolve_locale
from storage.models import Announcement, Lab, LabRegistration, Resident, ResidentTopic, utcnow
from storage.repositories import audit as audit_repo
from storage.repositories import outbox as outbox_repo

MAX_TEXT = 4096
MAX_CAPTION = 1024


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


# Labs stay choosable as an audience this long after they end (for a follow-up).
LAB_AUDIENCE_AFTER = timedelta(days=14)


AUDIENCE_VALUES: dict[Audience, frozenset[str]] = {
    Audience.MUNICIPALITY: codes(MUNICIPALITIES),
    Audience.TOPIC: codes(TOPICS),
    Audience.LANGUAGE: frozenset({"sl", "en"}),
}


class AnnouncementError(Exception):
    """The action does not fit the announcement's state (a stale button, a second tap)."""


@dataclass(frozen=True)
class AnnouncementView:
    id: int
    author_telegram_id: int
    author_locale: str
    status: str
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
        return (self.text_sl if locale == "sl" else self.text_en) or self.text_sl or ""


@dataclass(frozen=True)
class Recipient:
    resident_id: int
    chat_id: int
    locale: str


@dataclass
class Progress:
    announcement: AnnouncementView
    counts: dict[str, int] = field(default_factory=dict)
    recent_rate: float = 0.0
    last_sent_at: datetime | None = None

    def count(self, *statuses: str) -> int:
        return sum(self.counts.get(s, 0) for s in statuses)

    @property
    def open(self) -> int:
        return self.count("pending", "sending")


def plain_text(text_html: str) -> str:
    """The text a resident sees once Telegram has applied the HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", text_html))


def plain_length(text_html: str) -> int:
    """Telegram's limits count the text after the HTML is applied."""
    return len(plain_text(text_html))


def _view(a: Announcement) -> AnnouncementView:
    return AnnouncementView(
        id=a.id,
        author_telegram_id=a.author_telegram_id,
        author_locale=a.author_locale,
        status=a.status,
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


class AnnouncementService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        footer: dict[str, str] | None = None,
    ):
        self._sessions = sessions
        self._i18n = i18n
        self._footer = footer or {}

    # ---- the draft -------------------------------------------------------------------------

    async def _draft(self, session: AsyncSession, author: int) -> Announcement | None:
        query = select(Announcement).where(
            Announcement.author_telegram_id == author, Announcement.status == "draft"
        )
        return (await session.execute(query.with_for_update())).scalars().first()

    async def draft(self, author: int) -> AnnouncementView | None:
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            return _view(draft) if draft else None

    async def start(self, author: int, locale: str) -> tuple[AnnouncementView, bool]:
        """The author's draft, or a new one; True when it is new."""
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            if draft is not None:
                return _view(draft), False
            draft = Announcement(
                author_telegram_id=author,
                author_locale=locale,
                status="draft",
                step=Compose.TEXT_SL.value,
                audience_kind=Audience.ALL.value,
                audience_values=[],
                urgent=False,
                recipients=0,
            )
            session.add(draft)
            await session.flush()
            return _view(draft), True

    async def update_draft(
        self, author: int, announcement_id: int, expect: set[Compose], **values: object
    ) -> AnnouncementView:
        """Change the author's draft if it is at one of the `expect`ed steps."""
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            if draft is None or draft.id != announcement_id or Compose(draft.step) not in expect:
                raise AnnouncementError("not at that step")
            for key, value in values.items():
                setattr(draft, key, value.value if isinstance(value, StrEnum) else value)
            await session.flush()
            return _view(draft)

    async def toggle_value(self, author: int, announcement_id: int, value: str) -> AnnouncementView:
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            audience = Audience(draft.audience_kind) if draft is not None else None
            allowed = (
                {str(lab_id) for lab_id, _, _, _ in await self._audience_labs(session)}
                if audience == Audience.LAB
                else AUDIENCE_VALUES.get(audience, frozenset())
                if audience
                else frozenset()
            )
            if (
                draft is None
                or draft.id != announcement_id
                or draft.step != Compose.AUDIENCE_VALUES.value
                or value not in allowed
            ):
                raise AnnouncementError("not a value of this audience")
            chosen = list(draft.audience_values or [])
            draft.audience_values = (
                [v for v in chosen if v != value] if value in chosen else [*chosen, value]
            )
            await session.flush()
            return _view(draft)

    async def discard(self, author: int, announcement_id: int) -> bool:
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            if draft is None or draft.id != announcement_id:
                return False
            await session.delete(draft)
            return True

    # ---- the audience ----------------------------------------------------------------------

    async def audience_labs(self) -> list[tuple[int, str, str, datetime]]:
        """Labs whose participants can be written to: (id, title sl, title en, start)."""
        async with self._sessions() as session:
            return await self._audience_labs(session)

    async def _audience_labs(self, session: AsyncSession) -> list[tuple[int, str, str, datetime]]:
        query = (
            select(Lab.id, Lab.title_sl, Lab.title_en, Lab.starts_at)
            .where(Lab.status == "published", Lab.ends_at > utcnow() - LAB_AUDIENCE_AFTER)
            .order_by(Lab.starts_at)
            .limit(30)
        )
        return [
            (i, sl or "", en or "", at) for i, sl, en, at in (await session.execute(query)).all()
        ]

    async def recipients(self, view: AnnouncementView) -> list[Recipient]:
        async with self._sessions.begin() as session:
            return await self._recipients(session, view)

    async def _recipients(self, session: AsyncSession, view: AnnouncementView) -> list[Recipient]:
        query = select(Resident.id, Resident.telegram_id, Resident.locale, Resident.language_code)
        query = query.where(
            Resident.consent_version.is_not(None),
            Resident.onboarding_step == "done",
            Resident.is_active.is_(True),
        )
        values = list(view.audience_values)
        if view.audience == Audience.MUNICIPALITY:
            query = query.where(Resident.municipality.in_(values))
        elif view.audience == Audience.TOPIC:
            topical = select(ResidentTopic.resident_id).where(ResidentTopic.topic.in_(values))
            query = query.where(Resident.id.in_(topical))
        elif view.audience == Audience.LAB:
            ids = [int(v) for v in values if v.isdigit()]
            taking_part = select(LabRegistration.resident_id).where(
                LabRegistration.lab_id.in_(ids),
                LabRegistration.status.in_(("confirmed", "offered")),
            )
            query = query.where(Resident.id.in_(taking_part))
        rows = (await session.execute(query.order_by(Resident.id))).all()
        default = self._i18n.default_locale
        found = [
            Recipient(r.id, r.telegram_id, resolve_locale(r.locale, r.language_code, default))
            for r in rows
        ]
        if view.audience == Audience.LANGUAGE:
            found = [r for r in found if r.locale in values]
        return found

    def render(self, view: AnnouncementView, locale: str) -> str:
        footer = self._footer.get(locale, "")
        return view.text(locale) + (f"\n\n{footer}" if footer else "")

    def footer_length(self) -> int:
        return max((plain_length(f) + 2 for f in self._footer.values()), default=0)

    # ---- sending ---------------------------------------------------------------------------

    async def dispatch(
        self,
        author: int,
        announcement_id: int,
        report_chat_id: int,
        report_message_id: int,
    ) -> int:
        """Queue one outbox row per recipient in the same transaction that starts the send."""
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            if draft is None or draft.id != announcement_id or draft.step != Compose.PREVIEW:
                raise AnnouncementError("not ready to send")
            draft.report_chat_id, draft.report_message_id = report_chat_id, report_message_id
            count = await self._materialise(session, draft)
            await audit_repo.add_audit_entry(
                session,
                "announcement.send",
                actor_telegram_id=author,
                subject=str(draft.id),
                details={"recipients": count, "audience": draft.audience_kind},
            )
            return count

    async def _materialise(self, session: AsyncSession, announcement: Announcement) -> int:
        view = _view(announcement)
        recipients = await self._recipients(session, view)
        now = utcnow()
        rows = [
            outbox_repo.outbox_row(
                key=f"ann:{announcement.id}:{r.chat_id}",
                kind="announcement",
                announcement_id=announcement.id,
                resident_id=r.resident_id,
                chat_id=r.chat_id,
                text=self.render(view, r.locale),
                photo_file_id=announcement.photo_file_id,
                urgent=announcement.urgent,
                now=now,
            )
            for r in recipients
        ]
        await outbox_repo.add_outbox_messages(session, rows)
        announcement.status = "sending"
        announcement.step = None
        announcement.started_at = now
        announcement.recipients = len(rows)
        if not rows:
            announcement.status = "done"
            announcement.finished_at = now
        return len(rows)

    async def schedule(self, author: int, announcement_id: int, when: datetime) -> AnnouncementView:
        async with self._sessions.begin() as session:
            draft = await self._draft(session, author)
            if draft is None or draft.id != announcement_id or draft.step != Compose.SCHEDULE:
                raise AnnouncementError("not ready to schedule")
            draft.status, draft.step, draft.scheduled_at = "scheduled", None, when
            await audit_repo.add_audit_entry(
                session,
                "announcement.schedule",
                actor_telegram_id=author,
                subject=str(draft.id),
                details={"at": when.isoformat()},
            )
            await session.flush()
            return _view(draft)

    async def due(self, now: datetime) -> list[AnnouncementView]:
        async with self._sessions.begin() as session:
            query = (
                select(Announcement)
                .where(Announcement.status == "scheduled", Announcement.scheduled_at <= now)
                .order_by(Announcement.scheduled_at)
            )
            return [_view(a) for a in (await session.execute(query)).scalars()]

    async def release(self, announcement_id: int, notice: str) -> bool:
        """A due scheduled announcement goes to the outbox, once (another replica may race).

        The author's notice goes first, through the outbox like every message the bot starts;
        once sent, it becomes the live report (the engine records its message id).
        """
        async with self._sessions.begin() as session:
            query = select(Announcement).where(
                Announcement.id == announcement_id, Announcement.status == "scheduled"
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            announcement = (await session.execute(query)).scalars().first()
            if announcement is None:
                return False
            now = utcnow()
            announcement.report_chat_id = announcement.author_telegram_id
            await outbox_repo.add_outbox_messages(
                session,
                [
                    outbox_repo.outbox_row(
                        key=f"report:{announcement.id}",
                        kind="report",
                        announcement_id=announcement.id,
                        chat_id=announcement.author_telegram_id,
                        text=notice,
                        urgent=announcement.urgent,
                        now=now,
                    )
                ],
            )
            await self._materialise(session, announcement)
            return True

    async def cancel(self, actor: int, announcement_id: int) -> AnnouncementView:
        async with self._sessions.begin() as session:
            announcement = await session.get(Announcement, announcement_id, with_for_update=True)
            if announcement is None or announcement.status not in ("scheduled", "sending"):
                raise AnnouncementError("nothing to cancel")
            stopped = await outbox_repo.cancel_pending(session, announcement.id)
            announcement.status = "cancelled"
            announcement.finished_at = utcnow()
            await audit_repo.add_audit_entry(
                session,
                "announcement.cancel",
                actor_telegram_id=actor,
                subject=str(announcement.id),
                details={"messages_not_sent": stopped},
            )
            await session.flush()
            return _view(announcement)

    async def active(self) -> list[AnnouncementView]:
        async with self._sessions.begin() as session:
            query = (
                select(Announcement)
                .where(Announcement.status.in_(("scheduled", "sending")))
                .order_by(Announcement.id)
            )
            return [_view(a) for a in (await session.execute(query)).scalars()]

    async def get(self, announcement_id: int) -> AnnouncementView | None:
        async with self._sessions.begin() as session:
            announcement = await session.get(Announcement, announcement_id)
            return _view(announcement) if announcement else None

    async def progress(self, announcement_id: int, window: float = 10.0) -> Progress | None:
        """Counts by status and the rate over the last `window` seconds."""
        async with self._sessions.begin() as session:
            announcement = await session.get(Announcement, announcement_id)
            if announcement is None:
                return None
            counts = await outbox_repo.count_by_status(session, announcement_id)
            recent = await outbox_repo.count_sent_since(
                session, announcement_id, utcnow() - timedelta(seconds=window)
            )
            last = await outbox_repo.last_sent_at(session, announcement_id)
            return Progress(_view(announcement), counts, recent / window, last)

    async def finish(self, announcement_id: int) -> bool:
        """Mark a sending announcement done once no row is open; True if this call did it."""
        async with self._sessions.begin() as session:
            announcement = await session.get(Announcement, announcement_id, with_for_update=True)
            if announcement is None or announcement.status != "sending":
                return False
            # Every row, the report notice included: a report is not closed before it exists.
            counts = await outbox_repo.count_by_status(session, announcement_id, kind=None)
            if counts.get("pending", 0) + counts.get("sending", 0):
                return False
            announcement.status = "done"
            announcement.finished_at = utcnow()
            return True
