"""Telegram's flood limits as sliding windows: overall, per private chat, per group."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """How many sends fit in a window; each scope is checked independently."""

    global_count: int = 30
    global_window: float = 1.0
    private_count: int = 3
    private_window: float = 1.0
    group_count: int = 20
    group_window: float = 60.0
    enabled: bool = True

    @classmethod
    def strict(cls) -> RateLimits:
        """Telegram's published figures with no burst allowance: 30/s, 1/s per chat, 20/min."""
        return cls(private_count=1)

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)


class _Window:
    def __init__(self, count: int, seconds: float):
        self.count, self.seconds = count, seconds
        self.sent: deque[float] = deque()
        self.penalty_until = 0.0

    def wait_needed(self, now: float) -> float:
        if now < self.penalty_until:
            return self.penalty_until - now
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()
        if len(self.sent) < self.count:
            return 0.0
        return self.sent[0] + self.seconds - now


class FloodControl:
    """Decides, per send, whether Telegram would answer 429 and with which retry_after."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._clock = clock
        self._global = _Window(limits.global_count, limits.global_window)
        self._chats: dict[int, _Window] = {}
        self.rejected = 0
        self.rejections: list[tuple[int, str]] = []  # (chat id, which window)

    def _chat_window(self, chat_id: int, is_group: bool) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            limits = self.limits
            window = (
                _Window(limits.group_count, limits.group_window)
                if is_group
                else _Window(limits.private_count, limits.private_window)
            )
            self._chats[chat_id] = window
        return window

    def check(self, chat_id: int, is_group: bool) -> int | None:
        """Record the send and return None, or return retry_after (seconds) for a 429."""
        if not self.limits.enabled:
            return None
        now = self._clock()
        windows = (self._global, self._chat_window(chat_id, is_group))
        wait = max(w.wait_needed(now) for w in windows)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            # Telegram refuses until retry_after has passed, whatever the window says; asking
            # again meanwhile gets the time that is left, not a longer wait.
            for window in windows:
                if window.wait_needed(now) > 0 and now >= window.penalty_until:
                    window.penalty_until = now + retry_after
            self.rejected += 1
            scope = "global" if self._global.wait_needed(now) > 0 else "chat"
            self.rejections.append((chat_id, scope))
            return retry_after
        for window in windows:
            window.sent.append(now)
        return None
