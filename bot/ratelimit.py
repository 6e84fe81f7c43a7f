"""Everything the bot sends paced under Telegram's limits: per chat here, overall by the shared
budget (bot.budget), in which replies go before broadcasts; a 429 delays only the request that
got it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.budget import COUNT, WINDOW, LocalBudget, RedisBudget

log = logging.getLogger(__name__)

NOT_SENDS = frozenset({"sendChatAction"})


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_send(endpoint: str) -> bool:
    return (endpoint.startswith("send") and endpoint not in NOT_SENDS) or endpoint in (
        "copyMessage",
        "forwardMessage",
    )


@dataclass(frozen=True)
class Retries:
    """`rate_limit_args` for a request (an object: PTB ignores falsy values such as 0).
    `background`: a broadcast, which takes only what replies leave of the budget."""

    count: int
    background: bool = False
    # Send only if the budget and the chat let it start before this (time.monotonic()): a
    # delivery row must not go out once its lease may have passed to another worker.
    not_after: float | None = None


class NotSent(TelegramError):
    """The send never started: its `not_after` passed while it waited for its turn."""


NO_RETRIES = Retries(0, background=True)  # the delivery engine handles its own 429s


@dataclass(frozen=True)
class Limits:
    # Telegram's ~30/s, shared by replies and broadcasts (see bot.budget for how).
    global_count: int = COUNT
    global_window: float = WINDOW
    private_count: int = 3
    private_window: float = 1.0
    group_count: int = 20
    group_window: float = 60.0


class SlidingWindow:
    def __init__(self, count: int, seconds: float):
        self.count, self.seconds = count, seconds
        self.times: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        return 0.0 if len(self.times) < self.count else self.times[0] + self.seconds - now

    def record(self, at: float) -> None:
        self.times.append(at)


class _Chat:
    __slots__ = ("lock", "window")

    def __init__(self, window: SlidingWindow):
        self.lock = asyncio.Lock()
        self.window = window


async def _window_open(chat: _Chat) -> None:
    """Until the chat's window lets one more message go (its lock held by the caller)."""
    while (wait := chat.window.wait_time(time.monotonic())) > 0:  # noqa: ASYNC110
        await asyncio.sleep(wait)


class RetryingRateLimiter(BaseRateLimiter[Retries]):
    """Unlike AIORateLimiter, which pauses the whole bot on a 429, this waits per chat."""

    def __init__(
        self,
        limits: Limits | None = None,
        max_retries: int = 3,
        budget: LocalBudget | RedisBudget | None = None,
    ):
        self.limits = limits or Limits()
        self.max_retries = max_retries
        self.budget = budget or LocalBudget(self.limits.global_count, self.limits.global_window)
        self._chats: dict[int, _Chat] = {}
        self._calls = 0
        self._held_until = 0.0

    async def initialize(self) -> None:
        await self.budget.start()

    async def shutdown(self) -> None:
        await self.budget.close()

    def share(self, replicas: int) -> None:
        """Several replicas send for one bot: unless their budget is shared, each keeps to its
        share of the overall limit."""
        self.budget.share(replicas)

    def hold(self, seconds: float) -> None:
        """Send nothing for a while: a replica that joins others waits until each of them has
        seen it and lowered its own share, or together they would pass Telegram's limit."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    def _chat(self, chat_id: int) -> _Chat:
        self._calls += 1
        if self._calls % 1000 == 0:
            self._forget_idle()
        chat = self._chats.get(chat_id)
        if chat is None:
            limits = self.limits
            window = (
                SlidingWindow(limits.group_count, limits.group_window)
                if chat_id < 0
                else SlidingWindow(limits.private_count, limits.private_window)
            )
            chat = self._chats[chat_id] = _Chat(window)
        return chat

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for chat_id, chat in list(self._chats.items()):
            if not chat.lock.locked() and chat.window.wait_time(now) == 0 and not chat.window.times:
                del self._chats[chat_id]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Retries | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if not is_send(endpoint) or not isinstance(chat_id, int):
            return await self._with_retries(callback, args, kwargs, endpoint, data, rate_limit_args)
        if (held := self._held_until - time.monotonic()) > 0:
            await asyncio.sleep(held)
        background = isinstance(rate_limit_args, Retries) and rate_limit_args.background
        # A broadcast takes its place in the budget before the chat, and only a chat that is
        # free: waiting for a place while holding the chat, it would make a reply to that
        # resident wait behind it; holding a place while waiting for the chat, it could
        # wait for ever on a reply that waits for that place.
        place = await self._broadcast_place(chat_id) if background else None
        try:
            chat = self._chat(chat_id)  # after the waits: an idle chat may have been forgotten
            async with chat.lock:
                await _window_open(chat)
                if place is None:
                    place = await self.budget.acquire(False)
                not_after = (
                    rate_limit_args.not_after if isinstance(rate_limit_args, Retries) else None
                )
                if not_after is not None and time.monotonic() > not_after:
                    raise NotSent("the send's deadline passed while it waited for its turn")
                try:
                    return await self._with_retries(
                        callback, args, kwargs, endpoint, data, rate_limit_args
                    )
                finally:
                    # Counted from when Telegram answered, so our window is never ahead of theirs.
                    chat.window.record(time.monotonic())
        finally:
            if place is not None:
                await self.budget.release(place)

    async def _broadcast_place(self, chat_id: int) -> object:
        """A place in the budget at a moment when the chat is free (its lock untaken, its
        window open), so taking the chat next does not wait; else the place goes back."""
        while True:
            chat = self._chat(chat_id)
            async with chat.lock:  # first wait for the chat without holding a place
                await _window_open(chat)
            place = await self.budget.acquire(True)
            chat = self._chat(chat_id)
            if not chat.lock.locked() and chat.window.wait_time(time.monotonic()) == 0:
                return place
            await self.budget.give_back(place)

    async def _with_retries(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Retries | None,
    ) -> Any:
        max_retries = self.max_retries if rate_limit_args is None else rate_limit_args.count
        attempt = 0
        while True:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= max_retries:
                    raise
                attempt += 1
                delay = retry_seconds(exc)
                log.warning(
                    "429 on %s to chat %s: waiting %.0f s (attempt %d)",
                    endpoint,
                    data.get("chat_id"),
                    delay,
                    attempt,
                )
                await asyncio.sleep(delay)
