"""Flood benchmark: one resident sends a burst of messages at once while another resident keeps
sending commands; prints the other resident's latency, beside the same probes on a quiet bot.

    MAGNET_BENCH_FLOOD=200 MAGNET_BENCH_FLOOD_PROBES=50 .venv/bin/python -m pytest tests/bench/test_flood_bench.py -s
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator, RateLimits
from tests.support.harness import TOKEN, running_bot, seed_resident

FLOOD = int(os.environ.get("MAGNET_BENCH_FLOOD", "60"))
PROBES = int(os.environ.get("MAGNET_BENCH_FLOOD_PROBES", "10"))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _probe(emulator: BotAPIEmulator, users: list, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Other residents' /help, taking turns (so Telegram's 1/s per chat never binds): seconds
    from sending to handled."""
    latencies = []
    for i in range(count):
        began = time.perf_counter()
        update_id = await emulator.user_message(users[i % len(users)].user, "/help")
        await emulator.wait_processed(update_id, timeout=120)
        latencies.append(time.perf_counter() - began)
        await asyncio.sleep(0.15)
    return latencies


@pytest.mark.bench
@pytest.mark.timeout(600)
async def test_one_residents_flood_does_not_slow_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotAPIEmulator(TOKEN, limits=RateLimits.strict()) as emulator:
        emulator.processing_hook = True
        url = f"sqlite+aiosqlite:///{tmp_path / 'flood.sqlite3'}"
        async with running_bot(emulator, url) as bot:
            flooder = await seed_resident(bot, 1, "Poplava")
            others = [await seed_resident(bot, 2 + i, f"Merilka {i}") for i in range(10)]
            await _probe(emulator, others, 3)  # warm-up
            await asyncio.sleep(1.1)  # past Telegram's 1/s per chat for the warm-up's chats
            quiet = await _probe(emulator, others, PROBES)
            await asyncio.sleep(1.1)
            flood_ids = [
                await emulator.user_message(flooder.user, f"živjo {i}") for i in range(FLOOD)
            ]
            flooded = await _probe(emulator, others, PROBES)
            for update_id in flood_ids:  # every update of the flood is accounted for
                await emulator.wait_processed(update_id, timeout=300)
            processor = bot.runtime.application.update_processor  # type: ignore[union-attr]
            dropped = processor.dropped
            notices = [
                m
                for m in flooder.messages
                if "faster than I can" in (m.text or "") or "hitreje" in (m.text or "")
            ]
    assert (
        dropped == FLOOD - bot.settings.max_queued_per_resident
        or bot.settings.max_queued_per_resident >= FLOOD
    )
    assert len(notices) == (1 if dropped else 0)
    q99, f99 = _percentile(quiet, 0.99), _percentile(flooded, 0.99)
    with capsys.disabled():
        print(
            f"\nflood benchmark: one resident sends {FLOOD} messages at once; others send "
            f"{PROBES} commands meanwhile"
            f"\n  the others, quiet bot (baseline): p50 {_percentile(quiet, 0.5) * 1000:.0f} ms, "
            f"p99 {q99 * 1000:.0f} ms"
            f"\n  the others, during the flood:     p50 {_percentile(flooded, 0.5) * 1000:.0f} ms, "
            f"p99 {f99 * 1000:.0f} ms ({f99 / q99:.1f}x the baseline)"
            f"\n  the flooder's updates dropped past the bound of "
            f"{bot.settings.max_queued_per_resident}: {dropped}, with {len(notices)} notice"
        )
