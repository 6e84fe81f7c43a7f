"""A smooth pacer: one send every 1/rate seconds, paused as a whole by a 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        # clock and sleep are given by tests, which check the pacing on a clock of their own.
        self._clock, self._sleep = clock, sleep
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.rate = rate
        self._next = 0.0
        self._paused_until = 0.0

    async def wait(self) -> None:
        now = self._clock()
        slot = max(now, self._next, self._paused_until)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)

    def set_rate(self, rate: float) -> None:
        """A new share of the overall rate (replicas came or went)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.interval = rate, 1.0 / rate

    def pause(self, seconds: float) -> None:
        """Telegram said 429: no delivery send until `seconds` have passed (replies go on)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._next = max(self._next, self._paused_until)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())
