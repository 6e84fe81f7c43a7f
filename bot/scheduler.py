"""Timed work, driven from the database so that a restart loses nothing: APScheduler only ticks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.delivery.engine import DeliveryEngine
from bot.delivery.quiet import QuietHours
from bot.i18n import I18n
from bot.services.announcements.report import render_progress, render_report
from bot.services.announcements.service import AnnouncementService, Progress

log = logging.getLogger(__name__)


class _SkippedTick(logging.Filter):
    """A tick still running when the next one is due is skipped by design (max_instances=1);
    APScheduler warns about each skip, which would fill a newcomer's first screen."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


_SKIPPED_TICK = _SkippedTick()


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
        jobs: Sequence[Callable[[], Awaitable[object]]] = (),
        leader: Callable[[], Awaitable[bool]] | None = None,
    ):
        self.bot = bot
        self.i18n = i18n
        self.announcements = announcements
        self.engine = engine
        self.quiet = quiet
        self.tick_seconds = tick_seconds
        self.report_seconds = report_seconds
        self.jobs = list(jobs)
        self.leader = leader
        self._shown: dict[int, str] = {}
        self._aps: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        aps_log = logging.getLogger("apscheduler.scheduler")
        if _SKIPPED_TICK not in aps_log.filters:
            aps_log.addFilter(_SKIPPED_TICK)
        self._aps = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for job, seconds in (
            (self.release_due, self.tick_seconds),
            (self.report, self.report_seconds),
            (self.run_jobs, self.tick_seconds),
        ):
            self._aps.add_job(
                self._tracked,
                "interval",
                args=(job,),
                seconds=seconds,
                next_run_time=now,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._aps.start()

    async def _tracked(self, job: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            if self.leader is not None:
                try:
                    if not await self.leader():
                        return  # another replica runs the timed work
                except Exception:
                    log.warning("could not check the scheduler lock; skipping this tick")
                    return
            await job()
        finally:
            self._running.discard(task)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """No new ticks; the tick in hand finishes before the database goes away.

        APScheduler's shutdown cancels a running coroutine job, and a cancellation inside an
        aiosqlite call can leave the event loop waiting forever: so pause, wait, then shut down.
        """
        if self._aps is None or not self._aps.running:
            return
        self._aps.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace_seconds)
        self._aps.shutdown(wait=False)

    async def run_jobs(self) -> None:
        """Timed work of other features (lab reminders, offers, feedback, digests)."""
        for job in self.jobs:
            try:
                await job()
            except Exception:
                log.exception("scheduled job %s failed", getattr(job, "__qualname__", job))

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

    async def show(self, progress: Progress, final: bool = False) -> None:
        """Put the progress (or, when final, the delivery report) into the report message."""
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
