"""Timed work, driven from the database so that a restart loses nothing: APScheduler only ticks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.delivery.engine import DeliveryEngine
from bot.delivery.quiet import QuietHours
from bot.delivery.report import render_progress, render_report
from bot.i18n import I18n
from bot.services.announcements import AnnouncementService

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        bot: ExtBot[None],
        i18n: I18n,
        announcements: AnnouncementService,
        engine: DeliveryEngine,
        quiet: QuietHours,
        tick_seconds: float = 5.0,
        report_seconds: float = 2.0,
    ):
        self.bot = bot
        self.i18n = i18n
        self.announcements = announcements
        self.engine = engine
        self.quiet = quiet
        self.tick_seconds = tick_seconds
        self.report_seconds = report_seconds
        self._shown: dict[int, str] = {}
        self._aps: AsyncIOScheduler | None = None

    def start(self) -> None:
        self._aps = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for job, seconds in (
            (self.release_due, self.tick_seconds),
            (self.report, self.report_seconds),
        ):
            self._aps.add_job(
                job,
                "interval",
                seconds=seconds,
                next_run_time=now,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._aps.start()

    def stop(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)

    async def release_due(self) -> None:
        """Scheduled announcements whose time has come go to the outbox."""
        try:
            due = await self.announcements.due(datetime.now(UTC))
        except Exception:
            log.exception("could not read scheduled announcements")
            return
        for announcement in due:
            tr = self.i18n.get(announcement.author_locale)
            notice = tr.gettext("📣 Announcement #%(id)d is going out now…") % {
                "id": announcement.id
            }
            if await self.announcements.release(announcement.id, notice):
                log.info("scheduled announcement %s released", announcement.id)
                self.engine.wake()

    async def report(self) -> None:
        """Edit each running broadcast's report; close the ones with nothing left to send."""
        try:
            active = await self.announcements.active()
        except Exception:
            log.exception("could not read running announcements")
            return
        for announcement in active:
            if announcement.status != "sending":
                continue
            finished = await self.announcements.finish(announcement.id)
            progress = await self.announcements.progress(announcement.id)
            if progress is None:
                continue
            await self.show(progress, final=finished)

    async def show(self, progress, final: bool = False) -> None:  # type: ignore[no-untyped-def]
        announcement = progress.announcement
        if announcement.report_message_id is None or announcement.report_chat_id is None:
            return
        tr = self.i18n.get(announcement.author_locale)
        if final:
            text = render_report(tr, progress)
        else:
            now = datetime.now(UTC)
            quiet = (
                self.quiet.ends_after(now)
                if (self.quiet.contains(now) and not announcement.urgent)
                else None
            )
            text = render_progress(tr, progress, quiet)
        if self._shown.get(announcement.id) == text:
            return
        try:
            await self.bot.edit_message_text(
                text, chat_id=announcement.report_chat_id, message_id=announcement.report_message_id
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.warning("could not update report %s: %s", announcement.id, exc)
        except TelegramError as exc:
            log.warning("could not update report %s: %s", announcement.id, exc)
            return
        self._shown[announcement.id] = text
        if final:
            self._shown.pop(announcement.id, None)
