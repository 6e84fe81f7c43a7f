"""One budget for everything the bot sends, replies before broadcasts: Telegram's ~30 new
messages a second to one bot, whatever they are.

Telegram counts a message when it arrives; we only know it arrived somewhere between sending
it and getting the answer. So a message holds its place in the budget from the moment it is
sent until one window after its answer came: then no window of Telegram's can have held more
than the budget, however the network (or a busy event loop) bunched the arrivals, and a
broadcast still gets close to 30/s when answers come quickly.

Replies go first: while a reply waits for a place, no broadcast takes one. `LocalBudget` serves
one process (several replicas without Redis each take their share, as the delivery workers'
beats tell them); `RedisBudget` keeps the places in Redis for all replicas, timed by Redis's
own clock, and falls back to a local share when Redis cannot be reached rather than stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections import deque
from typing import Any

log = logging.getLogger(__name__)

COUNT = 30  # Telegram: "no more than 30 messages per second"
WINDOW = 1.01  # a second, and a little for clocks that tick differently


class LocalBudget:
    def __init__(self, count: int = COUNT, window: float = WINDOW):
        if count < 1 or window <= 0:
            raise ValueError("a budget needs a count and a window")
        self.count, self.window, self.limit = count, window, count
        self.shared = False
        self._answered: deque[float] = deque()  # when each recent message was answered
        self._in_flight = 0
        self._urgent_waiting = 0
        self._released = asyncio.Event()
        # Broadcast waiters ask one at a time; the rest queue behind, not in a busy loop.
        self._background = asyncio.Lock()

    def share(self, replicas: int) -> None:
        """Several replicas without a shared budget: each keeps to its share."""
        self.limit = max(1, self.count // max(1, replicas))

    def _used(self, now: float) -> int:
        while self._answered and self._answered[0] <= now - self.window:
            self._answered.popleft()
        return len(self._answered) + self._in_flight

    async def room(self) -> None:
        """Wait until a broadcast could take a place now, without taking it: the delivery
        engine starts a send only then, so the send does not wait out its lease in here."""
        async with self._background:
            await self._wait_for_room(False, take=False)

    async def _wait_for_room(self, urgent: bool, take: bool = True) -> None:
        while True:
            now = time.monotonic()
            if self._used(now) < self.limit and (urgent or not self._urgent_waiting):
                self._in_flight += take
                return
            # A place frees when the oldest answer leaves the window, or when an answer comes.
            timeout = self._answered[0] + self.window - now if self._answered else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), timeout)

    async def acquire(self, background: bool = False) -> object:
        """Wait for a place; hand the result to release() once Telegram answered."""
        if background:
            async with self._background:
                await self._wait_for_room(False)
            return self
        self._urgent_waiting += 1
        try:
            await self._wait_for_room(True)
        finally:
            self._urgent_waiting -= 1
            self._wake()
        return self

    async def release(self, token: object) -> None:
        self._in_flight -= 1
        self._answered.append(time.monotonic())
        self._wake()

    async def give_back(self, token: object) -> None:
        """A place taken but not used (nothing was sent): free at once, counted nowhere."""
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        self._released.set()
        self._released = asyncio.Event()

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass


# KEYS[1]: the places taken (member -> until when: a far time while in flight, the answer's
# time once answered); KEYS[2]: replies waiting (member -> until when the claim holds).
# ARGV: member, 1 for a reply (0 for a broadcast, "room" to only ask whether a broadcast could
# take a place now), count, window, lease. Returns {granted, seconds to wait}.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local count, window, lease = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < count then
  redis.call('ZREM', KEYS[2], ARGV[1])
  if ARGV[2] == '1' or redis.call('ZCARD', KEYS[2]) == 0 then
    if ARGV[2] == 'room' then
      return {1, '0'}
    end
    redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
    redis.call('EXPIRE', KEYS[1], 120)
    return {1, '0'}
  end
end
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[2], now + 1, ARGV[1])
  redis.call('EXPIRE', KEYS[2], 120)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = 0.02
if first[2] then
  wait = math.min(wait, math.max(0.002, tonumber(first[2]) + window - now))
end
return {0, tostring(wait)}
"""
RELEASE = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
return 1
"""


class RedisBudget:
    """The budget shared by every replica of one bot, in Redis."""

    def __init__(
        self,
        url: str,
        count: int = COUNT,
        window: float = WINDOW,
        key: str = "magnet:send-budget",
        lease: float = 20.0,  # a crashed replica's places free themselves (> send timeouts)
    ):
        self.url, self.count, self.window, self.lease = url, count, window, lease
        self.keys = [f"{key}:sent", f"{key}:urgent"]
        self.fallback = LocalBudget(count, window)
        self.shared = True
        self._names = (f"{os.getpid()}:{id(self):x}:{n}" for n in itertools.count())
        self._background = asyncio.Lock()
        self._client: Any = None
        self._acquire: Any = None
        self._release: Any = None
        self._down_until = 0.0

    def share(self, replicas: int) -> None:
        # Only the fallback divides: the shared budget already counts every replica's sends.
        self.fallback.share(replicas)

    async def start(self) -> None:
        import redis.asyncio as redis

        self._client = redis.Redis.from_url(self.url, socket_timeout=1.0)
        self._acquire = self._client.register_script(ACQUIRE)
        self._release = self._client.register_script(RELEASE)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _failed(self, exc: Exception) -> None:
        # Sending at a local share beats not sending; try Redis again in a while.
        log.warning("the shared send budget is unreachable (%s): using a local share", exc)
        self._down_until = time.monotonic() + 5.0

    async def room(self) -> None:
        """As LocalBudget.room, for all replicas."""
        if self._acquire is not None and time.monotonic() >= self._down_until:
            async with self._background:
                if await self._take("", "room"):
                    return
        await self.fallback.room()

    async def _take(self, name: str, kind: str) -> bool:
        """True once a place is taken in Redis (or, for "room", is free), False if Redis
        failed on the way."""
        args = [name, kind, self.count, repr(self.window), repr(self.lease)]
        while True:
            try:
                granted, wait = await self._acquire(keys=self.keys, args=args)
            except Exception as exc:
                self._failed(exc)
                return False
            if int(granted):
                return True
            await asyncio.sleep(float(wait))

    async def acquire(self, background: bool = False) -> object:
        if self._acquire is not None and time.monotonic() >= self._down_until:
            name = next(self._names)
            if background:
                async with self._background:
                    taken = await self._take(name, "0")
            else:
                taken = await self._take(name, "1")
            if taken:
                return name
        return (self.fallback, await self.fallback.acquire(background))

    async def release(self, token: object) -> None:
        if isinstance(token, tuple):
            await self.fallback.release(token[1])
            return
        try:
            await self._release(keys=self.keys[:1], args=[token])
        except Exception as exc:
            self._failed(exc)  # the place frees itself when its lease ends

    async def give_back(self, token: object) -> None:
        if isinstance(token, tuple):
            await self.fallback.give_back(token[1])
            return
        try:
            await self._client.zrem(self.keys[0], token)
        except Exception as exc:
            self._failed(exc)  # the place frees itself when its lease ends
