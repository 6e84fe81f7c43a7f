"""Update processing: residents in parallel, each resident's own updates strictly in order.

PTB's processor takes one of its slots before handing us an update, so an update waiting behind
the same resident's earlier ones would hold a slot while it waits: a resident who sends 100
messages at once would fill every slot and make everyone else wait. Here PTB's bound is lifted
and ours is taken only once it is an update's turn; each resident may queue a bounded number of
updates, and a flood past that is dropped with one polite notice until their queue drains.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.logs import RESIDENT, UPDATE_ID
from storage.db import STATEMENTS

log = logging.getLogger(__name__)

# PTB's own semaphore must never bind: waiting for a resident's turn holds no slot.
_UNBOUNDED = sys.maxsize // 2


def ordering_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


@dataclass
class _Queue:
    """One resident's updates: the lock keeps them in order (asyncio wakes waiters in FIFO)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    told: bool = False  # the resident has been asked to slow down during this flood


class PerResidentProcessor(BaseUpdateProcessor):
    """Like SimpleUpdateProcessor, but two updates of one resident never run at the same time,
    and one resident's backlog takes no slot from the others."""

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        on_done: Callable[[int], None] | None = None,
        observe: Callable[[object, float, int], None] | None = None,
        *,
        max_queued_per_resident: int = 20,
        on_flood: Callable[[Update], Awaitable[None]] | None = None,
    ):
        super().__init__(_UNBOUNDED)
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._queues: dict[int, _Queue] = {}
        self._on_done = on_done
        self._observe = observe
        self.max_queued_per_resident = max_queued_per_resident
        self.on_flood = on_flood
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        began = time.perf_counter()
        statements = [0]
        STATEMENTS.set(statements)
        if isinstance(update, Update):
            UPDATE_ID.set(update.update_id)
            RESIDENT.set(None)
        try:
            if key is None:
                async with self._slots:
                    await coroutine
                return
            await self._in_turn(key, update, coroutine)
        finally:
            if self._observe is not None:
                self._observe(update, time.perf_counter() - began, statements[0])
            if self._on_done is not None and isinstance(update, Update):
                self._on_done(update.update_id)

    async def _in_turn(self, key: int, update: object, coroutine: Awaitable[Any]) -> None:
        queue = self._queues.setdefault(key, _Queue())
        if queue.waiting >= self.max_queued_per_resident:
            await self._drop(queue, update, coroutine)
            return
        queue.waiting += 1
        try:
            async with queue.lock, self._slots:
                await coroutine
        finally:
            queue.waiting -= 1
            if queue.waiting == 0:
                del self._queues[key]

    async def _drop(self, queue: _Queue, update: object, coroutine: Awaitable[Any]) -> None:
        """Past the bound: the update is not handled, and the resident hears it once."""
        if asyncio.iscoroutine(coroutine):
            coroutine.close()
        self.dropped += 1
        update_id = update.update_id if isinstance(update, Update) else None
        log.warning("a resident's flood: update %s dropped", update_id)
        if queue.told or self.on_flood is None or not isinstance(update, Update):
            return
        queue.told = True
        try:
            await self.on_flood(update)
        except Exception:
            log.exception("could not ask a resident to slow down")

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
