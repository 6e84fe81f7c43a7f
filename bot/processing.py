"""Update processing: residents in parallel, each resident's own updates strictly in order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.logs import RESIDENT, UPDATE_ID

log = logging.getLogger(__name__)


def ordering_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerResidentProcessor(BaseUpdateProcessor):
    """Like SimpleUpdateProcessor, but two updates of one resident never run at the same time."""

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        on_done: Callable[[int], None] | None = None,
        observe: Callable[[object, float], None] | None = None,
    ):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._on_done = on_done
        self._observe = observe

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        began = time.perf_counter()
        if isinstance(update, Update):
            UPDATE_ID.set(update.update_id)
            RESIDENT.set(None)
        try:
            if key is None:
                await coroutine
                return
            lock, users = self._locks.get(key, (asyncio.Lock(), 0))
            self._locks[key] = (lock, users + 1)
            try:
                async with lock:
                    await coroutine
            finally:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)
        finally:
            if self._observe is not None:
                self._observe(update, time.perf_counter() - began)
            if self._on_done is not None and isinstance(update, Update):
                self._on_done(update.update_id)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
