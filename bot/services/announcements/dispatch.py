"""Sending an announcement: now or at its time, through the outbox; cancelling; its report."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.quiet import QuietHours
from bot.domain import AnnouncementStatus, OutboxStatus
from bot.i18n import I18n
from bot.services.announcements import audience, notices
from bot.services.announcements.drafts import locked_draft
from bot.services.announcements.types import (
    AnnouncementError,
    AnnouncementView,
    Compose,
    Problem,
    Progress,
    Report,
    to_view,
)
from storage.models import Announcement, utcnow
from storage.repositories import announcements as repo
from storage.repositories import audit as audit_repo
from storage.repositories import outbox as outbox_repo


class Dispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], i18n: I18n, quiet: QuietHours):
        self._sessions = sessions
        self._i18n = i18n
        self._quiet = quiet

    async def dispatch(
        self, author: int, announcement_id: int, report_chat_id: int, report_message_id: int
    ) -> int:
        """Queue one outbox row per recipient in the same transaction that starts the send."""
        async with self._sessions.begin() as session:
            draft = await locked_draft(session, author, announcement_id, Compose.PREVIEW)
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
        view = to_view(announcement)
        recipients = await audience.recipients(
            session, view, self._i18n.default_locale, self._i18n.languages
        )
        bodies = {
            locale: notices.body(self._i18n.get(locale), view)
            for locale in {r.locale for r in recipients}
        }
        now = utcnow()
        rows = [
            outbox_repo.outbox_row(
                key=f"ann:{announcement.id}:{r.chat_id}",
                kind="announcement",
                announcement_id=announcement.id,
                resident_id=r.resident_id,
                chat_id=r.chat_id,
                text=bodies[r.locale],
                photo_file_id=announcement.photo_file_id,
                urgent=announcement.urgent,
                now=now,
            )
            for r in recipients
        ]
        await outbox_repo.add_outbox_messages(session, rows)
        announcement.status = AnnouncementStatus.SENDING
        announcement.step = None
        announcement.started_at = now
        announcement.recipients = len(rows)
        if not rows:
            announcement.status = AnnouncementStatus.DONE
            announcement.finished_at = now
        return len(rows)

    async def schedule(self, author: int, announcement_id: int, when: datetime) -> AnnouncementView:
        if when <= utcnow():
            raise AnnouncementError(Problem.IN_THE_PAST, when.isoformat())
        async with self._sessions.begin() as session:
            draft = await locked_draft(session, author, announcement_id, Compose.SCHEDULE)
            draft.status, draft.step, draft.scheduled_at = AnnouncementStatus.SCHEDULED, None, when
            await audit_repo.add_audit_entry(
                session,
                "announcement.schedule",
                actor_telegram_id=author,
                subject=str(draft.id),
                details={"at": when.isoformat()},
            )
            return to_view(draft)

    async def due(self, now: datetime) -> list[AnnouncementView]:
        async with self._sessions() as session:
            return [to_view(a) for a in await repo.list_due(session, now)]

    async def release(self, announcement_id: int) -> bool:
        """A due scheduled announcement goes to the outbox, once (another replica may race).

        The author's notice goes first, through the outbox like every message the bot starts;
        once sent, it becomes the live report (the engine records its message id).
        """
        async with self._sessions.begin() as session:
            announcement = await repo.claim_scheduled(session, announcement_id)
            if announcement is None:
                return False
            announcement.report_chat_id = announcement.author_telegram_id
            notice = notices.going_out(
                self._i18n.get(announcement.author_locale), to_view(announcement)
            )
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
                        now=utcnow(),
                    )
                ],
            )
            await self._materialise(session, announcement)
            return True

    async def cancel(self, actor: int, announcement_id: int) -> AnnouncementView:
        async with self._sessions.begin() as session:
            announcement = await repo.get_announcement(session, announcement_id, lock=True)
            if announcement is None or announcement.status not in repo.LIVE:
                raise AnnouncementError(Problem.NOT_CANCELLABLE, str(announcement_id))
            stopped = await outbox_repo.cancel_pending(session, announcement.id)
            announcement.status = AnnouncementStatus.CANCELLED
            announcement.finished_at = utcnow()
            await audit_repo.add_audit_entry(
                session,
                "announcement.cancel",
                actor_telegram_id=actor,
                subject=str(announcement.id),
                details={"messages_not_sent": stopped},
            )
            return to_view(announcement)

    async def active(self) -> list[AnnouncementView]:
        """Scheduled and sending announcements, oldest first."""
        async with self._sessions() as session:
            return [to_view(a) for a in await repo.list_live(session)]

    async def get(self, announcement_id: int) -> AnnouncementView | None:
        async with self._sessions() as session:
            announcement = await repo.get_announcement(session, announcement_id)
            return to_view(announcement) if announcement else None

    async def progress(self, announcement_id: int, window: float = 10.0) -> Progress | None:
        """Counts by status and the rate over the last `window` seconds."""
        async with self._sessions() as session:
            announcement = await repo.get_announcement(session, announcement_id)
            if announcement is None:
                return None
            counts = await outbox_repo.count_by_status(session, announcement_id)
            recent = await outbox_repo.count_sent_since(
                session, announcement_id, utcnow() - timedelta(seconds=window)
            )
            last = await outbox_repo.last_sent_at(session, announcement_id)
            return Progress(to_view(announcement), counts, recent / window, last)

    async def report(self, announcement_id: int) -> Report | None:
        """The live report as it reads now, in the author's language; None before it exists.

        Once the announcement is done or cancelled, it is the final delivery report.
        """
        progress = await self.progress(announcement_id)
        if progress is None:
            return None
        view = progress.announcement
        if view.report_chat_id is None or view.report_message_id is None:
            return None
        final = view.status in (AnnouncementStatus.DONE, AnnouncementStatus.CANCELLED)
        now = utcnow()
        quiet = not final and not view.urgent and self._quiet.contains(now)
        text = notices.live_report(
            self._i18n.get(view.author_locale),
            progress,
            final=final,
            quiet_until=self._quiet.ends_after(now) if quiet else None,
        )
        return Report(view.report_chat_id, view.report_message_id, text, final)

    async def finish(self, announcement_id: int) -> bool:
        """Mark a sending announcement done once no row is open; True if this call did it."""
        async with self._sessions.begin() as session:
            announcement = await repo.get_announcement(session, announcement_id, lock=True)
            if announcement is None or announcement.status != AnnouncementStatus.SENDING:
                return False
            # Every row, the report notice included: a report is not closed before it exists.
            counts = await outbox_repo.count_by_status(session, announcement_id, kind=None)
            if counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0):
                return False
            announcement.status = AnnouncementStatus.DONE
            announcement.finished_at = utcnow()
            return True
