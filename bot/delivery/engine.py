"""The delivery engine: every message the bot sends on its own goes out through here.

At least once, never lost: rows are claimed with a lease, each attempt is written down before
it is made, and a row is marked sent with Telegram's message id after. A crash leaves rows
whose lease lapses and attempts with no outcome; whoever claims the rows next sends them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardMarkup, InputFile, Message
from telegram.ext import ExtBot

from bot.delivery.outcome import Classified, Outcome, classify
from bot.delivery.pacer import Pacer
from bot.delivery.quiet import QuietHours
from bot.domain import OutboxStatus
from bot.ratelimit import NO_RETRIES
from bot.textfit import CAPTION_MAX, split_message, utf16_len
from storage.models import OutboxMessage
from storage.repositories import announcements as announcements_repo
from storage.repositories import outbox as repo
from storage.repositories import residents as residents_repo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryConfig:
    rate: float = 30.0  # a cap: the shared send budget decides the pace
    lease_seconds: float = 60.0
    batch: int = 50
    concurrency: int = 16
    max_attempts: int = 6
    poll_seconds: float = 1.0
    send_timeout: float = 15.0
    beat_seconds: float = 5.0  # how often a worker says it is alive (replicas share the rate)

    @property
    def start_margin(self) -> float:
        """A send starts only with this much lease left, so it ends before anyone may reclaim."""
        return min(self.send_timeout, self.lease_seconds / 3)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"


def _now() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300.0, 2.0 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2))


class DeliveryEngine:
    def __init__(
        self,
        bot: ExtBot[None],
        sessions: async_sessionmaker[AsyncSession],
        quiet: QuietHours,
        config: DeliveryConfig | None = None,
        worker: str | None = None,
    ):
        self.bot = bot
        self.sessions = sessions
        self.quiet = quiet
        self.config = config or DeliveryConfig()
        self.worker = worker or worker_name()
        self.pacer = Pacer(self.config.rate)
        self.workers = 1
        self.divide_rate = True  # False when replicas keep one send budget together
        self.on_share: Callable[[int], None] | None = None  # told when the replica count changes
        self.counts: dict[str, int] = {o.value: 0 for o in Outcome}
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self.config.concurrency)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._stopped.clear()
        self._task = asyncio.create_task(self._run(), name=f"delivery {self.worker}")

    async def stop(self, drain_seconds: float = 20.0) -> None:
        """Stop claiming, let the sends in flight finish, hand back what was not started.

        The loop may be waiting out a 429 or a free slot; past the grace period it is
        cancelled, and whatever it had claimed is taken over when the lease lapses.
        """
        self._stopping = True
        self._stopped.set()
        self._wake.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=drain_seconds)
            if not done:
                log.warning("delivery loop did not stop in %.0f s: cancelling it", drain_seconds)
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._sends:
            await asyncio.wait(self._sends, timeout=drain_seconds)

    def wake(self) -> None:
        """New rows were queued: look now rather than at the next poll."""
        self._wake.set()

    # ---- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        # Beats run beside the sends: a long paced batch must not make this worker look dead
        # to the others, who would then take its share on top of what it still sends.
        beats = asyncio.create_task(self._beat_loop(), name=f"delivery beats {self.worker}")
        try:
            await self._join()
            await self._loop()
        finally:
            beats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beats
            with contextlib.suppress(Exception):
                async with self.sessions.begin() as session:
                    await repo.retire(session, self.worker)

    async def register(self) -> int:
        """Say this worker is here, before the bot serves anyone: how many workers send now."""
        await self._beat()
        return self.workers

    async def _join(self) -> None:
        """A worker that finds others already sending waits one beat before it sends, so
        that each of them has seen it and lowered its own share first."""
        await self._beat()
        if self.workers > 1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self.config.beat_seconds)

    async def _beat_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self.config.beat_seconds)
            if not self._stopping:
                await self._beat()

    async def _beat(self) -> None:
        """Say we are alive and take our share of the overall rate: two replicas each
        sending at the full rate would together break Telegram's limit."""
        now = _now()
        alive_since = now - timedelta(seconds=3 * self.config.beat_seconds)
        try:
            async with self.sessions.begin() as session:
                workers = await repo.beat(session, self.worker, now, alive_since)
        except Exception:
            log.warning("could not record this delivery worker", exc_info=True)
            return
        if workers != self.workers:
            log.info("%d delivery workers share %.1f messages/s", workers, self.config.rate)
            self.workers = workers
            self.pacer.set_rate(self.config.rate / (workers if self.divide_rate else 1))
            if self.on_share is not None:
                self.on_share(workers)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                claimed = await self._claim()
            except Exception:
                log.exception("could not claim outbox rows")
                await asyncio.sleep(self.config.poll_seconds)
                continue
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_seconds)
                continue
            await self._send_all(deque(claimed))

    async def _claim(self) -> list[OutboxMessage]:
        now = _now()
        async with self.sessions.begin() as session:
            return await repo.claim_outbox_messages(
                session,
                worker=self.worker,
                now=now,
                lease_until=now + timedelta(seconds=self.config.lease_seconds),
                limit=self.config.batch,
                urgent_only=self.quiet.contains(now),
            )

    async def _send_all(self, queue: deque[OutboxMessage]) -> None:
        while queue and not self._stopping:
            row = queue[0]
            await self._wait_for_pacer()
            await self._wait_for_budget()
            # Start only with time to finish inside our lease: past it, another worker may
            # claim the row, and both would send it.
            remaining = (row.lease_until - _now()).total_seconds() if row.lease_until else 0
            if remaining < self.config.start_margin or self._stopping:
                break
            if not row.urgent and self.quiet.contains(_now()):
                break
            queue.popleft()
            await self._slots.acquire()
            task = asyncio.create_task(self._deliver(row))
            self._sends.add(task)
            task.add_done_callback(self._sent)
        if queue:
            async with self.sessions.begin() as session:
                await repo.release_outbox_messages(session, [r.id for r in queue], self.worker)

    async def _wait_for_pacer(self) -> None:
        """The pacer's wait, cut short by stop(): a long 429 pause must not delay shutdown."""
        pacing = asyncio.ensure_future(self.pacer.wait())
        stopping = asyncio.ensure_future(self._stopped.wait())
        await asyncio.wait({pacing, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (pacing, stopping):
            task.cancel()

    async def _wait_for_budget(self) -> None:
        """Until the send budget has room for a broadcast message (replies first), so the
        lease is checked after that wait rather than before it; cut short by stop()."""
        budget = getattr(self.bot.rate_limiter, "budget", None)
        if budget is None:
            return
        room = asyncio.ensure_future(budget.room())
        stopping = asyncio.ensure_future(self._stopped.wait())
        await asyncio.wait({room, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (room, stopping):
            task.cancel()

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sends.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed", exc_info=task.exception())

    # ---- one message -----------------------------------------------------------------------

    async def _deliver(self, row: OutboxMessage) -> None:
        async with self.sessions.begin() as session:
            attempt_id = await repo.add_attempt(session, row.id, self.worker, _now())
        message: Message | None = None
        try:
            message = await self._send(row)
            result = Classified(Outcome.SENT, "")
        except Exception as exc:
            result = classify(exc)
        self.counts[result.outcome.value] += 1
        await self._record(row, attempt_id, result, message)

    async def _send(self, row: OutboxMessage) -> Message:
        """One row as Telegram allows it: a text past 4096 units goes in parts, and a caption
        past 1024 follows its photo as text (the buttons go with the last message)."""
        markup = (
            InlineKeyboardMarkup.de_json(row.reply_markup, self.bot) if row.reply_markup else None
        )
        # A send waiting for its turn past this could outlive the lease: it is not made then.
        left = (row.lease_until - _now()).total_seconds() if row.lease_until else 0.0
        budgeted = replace(NO_RETRIES, not_after=time.monotonic() + left - self.config.start_margin)
        if row.photo_file_id or row.attachment:
            photo = (
                InputFile(row.attachment, filename=row.attachment_name or "image.png")
                if row.attachment
                else row.photo_file_id
            )
            fits = utf16_len(row.text) <= CAPTION_MAX
            # NO_RETRIES: a 429 comes straight back here, where the pacer decides when delivery
            # resumes; and a broadcast takes only the send budget that replies leave.
            message = await self.bot.send_photo(
                row.chat_id,
                photo,
                caption=row.text if fits else None,
                reply_markup=markup if fits else None,
                read_timeout=self.config.start_margin,
                rate_limit_args=budgeted,
            )
            if fits:
                return message
        *first, last = split_message(row.text)
        for part in first:
            await self.bot.send_message(
                row.chat_id,
                part,
                read_timeout=self.config.start_margin,
                rate_limit_args=budgeted,
            )
        return await self.bot.send_message(
            row.chat_id,
            last,
            reply_markup=markup,
            read_timeout=self.config.start_margin,
            rate_limit_args=budgeted,
        )

    async def _record(
        self,
        row: OutboxMessage,
        attempt_id: int,
        result: Classified,
        message: Message | None,
    ) -> None:
        now = _now()
        values: dict[str, object] = {"leased_by": None, "lease_until": None}
        outcome = result.outcome
        if outcome == Outcome.SENT:
            assert message is not None
            values.update(
                status=OutboxStatus.SENT, sent_at=now, telegram_message_id=message.message_id
            )
        elif outcome == Outcome.BLOCKED:
            values.update(status=OutboxStatus.BLOCKED, last_error=result.detail)
        elif outcome == Outcome.FAILED or (
            # A 429 says "wait", not "broken": it does not use up the row's attempts.
            outcome != Outcome.FLOOD and row.attempts + 1 >= self.config.max_attempts
        ):
            values.update(status=OutboxStatus.FAILED, last_error=result.detail)
        elif outcome == Outcome.FLOOD:
            wait = result.retry_after or 1.0
            self.pacer.pause(wait)
            log.warning("429 from Telegram: delivery waits %.0f s (replies go on)", wait)
            values.update(status=OutboxStatus.PENDING, not_before=now + timedelta(seconds=wait))
        else:
            values.update(
                status=OutboxStatus.PENDING,
                not_before=now + backoff(row.attempts + 1),
                last_error=result.detail,
            )
        if outcome in (Outcome.FAILED, Outcome.UNKNOWN, Outcome.ERROR):
            log.warning("outbox message %s: %s (%s)", row.id, outcome.value, result.detail)
        async with self.sessions.begin() as session:
            await repo.finish_attempt(
                session,
                attempt_id,
                now=now,
                outcome=outcome.value,
                message_id=message.message_id if message else None,
                error=result.detail or None,
            )
            await repo.update_outbox_message(session, row.id, **values)
            if outcome == Outcome.SENT and row.kind == "report" and row.announcement_id:
                assert message is not None  # the notice becomes the live report
                await announcements_repo.set_report_message(
                    session, row.announcement_id, row.chat_id, message.message_id
                )
            if outcome == Outcome.BLOCKED:
                # Nothing more reaches them until they come back (my_chat_member or a message).
                await residents_repo.update_resident(
                    session, row.chat_id, is_active=False, blocked_at=now
                )
                await repo.block_pending_for_chat(session, row.chat_id)
