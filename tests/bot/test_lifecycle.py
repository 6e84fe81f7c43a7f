"""Stopping the bot: timed work in hand finishes before the database goes away."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.emulator import BotAPIEmulator
from tests.support.harness import Harness, make_settings


async def test_stop_waits_for_the_scheduler_tick_in_hand(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    harness = Harness(emulator, make_settings(emulator, sqlite_url))
    await harness.start()
    announcements = harness.services.announcements.sending
    real_due = announcements.due
    started, starts, finished = asyncio.Event(), [], []

    async def slow_due(now: datetime):  # type: ignore[no-untyped-def]
        started.set()
        starts.append(True)
        await asyncio.sleep(0.5)
        result = await real_due(now)  # still needs the database
        finished.append(True)
        return result

    announcements.due = slow_due  # type: ignore[method-assign]
    await asyncio.wait_for(started.wait(), 30)
    await asyncio.wait_for(harness.stop(), 30)
    # Every tick that began also ended: none was cut off in the middle of its query.
    assert finished and len(finished) == len(starts)
