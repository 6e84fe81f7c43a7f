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
from bot.domain import AnnouncementStatus
from bot.services.announcements.service import AnnouncementService
from bot.services.announcements.types import Report

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
        announcements: AnnouncementService,
        engine: DeliveryEngine,
        tick_seconds: float = 5.0,
        report_seconds: float = 2.0,
        jobs: Sequence[Callable[[], Awaitable[object]]] = (),
        leader: Callable[[], Awaitable[bool]] | None = None,
    ):
        self.bot = bot
        self.announcements = announcements
        self.engine = engine
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
        sending = self.announcements.sending
        try:
            due = await sending.due(datetime.now(UTC))
        except Exception:
            log.exception("could not read scheduled announcements")
            return
        for announcement in due:
            if await sending.release(announcement.id):
                log.info("scheduled announcement %s released", announcement.id)

    async def report(self) -> None:
        """Edit each running broadcast's report; close the ones with nothing left to send."""
        sending = self.announcements.sending
        try:
            active = await sending.active()
        except Exception:
            log.exception("could not read running announcements")
            return
        for announcement in active:
            if announcement.status != AnnouncementStatus.SENDING:
                continue
            await sending.finish(announcement.id)
            report = await sending.report(announcement.id)
            if report is not None:
                await self._show(announcement.id, report)
        # Cancelled meanwhile: whoever cancelled it closed its report.
        live = {a.id for a in active}
        self._shown = {i: text for i, text in self._shown.items() if i in live}

    async def _show(self, announcement_id: int, report: Report) -> None:
        """Put the report's text into its message, unless it already reads so."""
        if self._shown.get(announcement_id) == report.text:
            return
        try:
            await self.bot.edit_message_text(
                report.text, chat_id=report.chat_id, message_id=report.message_id
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.warning("could not update report %s: %s", announcement_id, exc)
        except TelegramError as exc:
            log.warning("could not update report %s: %s", announcement_id, exc)
            return
        self._shown[announcement_id] = report.text
        if report.final:
            self._shown.pop(announcement_id, None)
