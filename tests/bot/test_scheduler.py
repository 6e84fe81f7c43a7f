"""The scheduler's ticks: one at a time, and a slow tick skips the next without a warning."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.scheduler import Scheduler
from tests.support.harness import eventually


class _Nothing:
    async def due(self, now: object) -> list[object]:
        return []

    async def active(self) -> list[object]:
        return []


class _Announcements:
    sending = _Nothing()


async def test_a_slow_tick_skips_the_next_quietly(caplog: pytest.LogCaptureFixture) -> None:
    running, most, runs = 0, 0, 0

    async def slow_job() -> None:
        nonlocal running, most, runs
        runs += 1
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.15)
        running -= 1

    scheduler = Scheduler(
        None,  # type: ignore[arg-type]
        _Announcements(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        tick_seconds=0.02,
        report_seconds=0.02,
        jobs=[slow_job],
    )
    with caplog.at_level(logging.INFO):
        scheduler.start()
        # Several slow ticks, however long a loaded machine takes to run them.
        await eventually(lambda: runs >= 3, timeout=60)
        await scheduler.stop()
    assert most == 1
    assert "maximum number of running instances" not in caplog.text
