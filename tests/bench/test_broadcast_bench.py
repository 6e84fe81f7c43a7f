"""Broadcast benchmark: recipients behind an emulator enforcing Telegram's 30/s and 1/s per chat,
while a resident keeps sending commands. Prints figures; asserts only correctness.

    MAGNET_BENCH_RECIPIENTS=10000 .venv/bin/python -m pytest tests/bench -s
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import BotAPIEmulator, RateLimits
from storage.models import OutboxMessage
from tests.support.announcements import ready_to_send
from tests.support.harness import TOKEN, eventually, running_bot, seed_resident
from tests.support.seeding import insert_residents

RECIPIENTS = int(os.environ.get("MAGNET_BENCH_RECIPIENTS", "200"))
RATE = 25.0
PROBES = 5
TEXT = "Benchmark: obvestilo za vse."


async def _seed(bot, emulator: BotAPIEmulator, count: int) -> None:  # type: ignore[no-untyped-def]
    await insert_residents(
        bot.services.sessions,
        emulator,
        range(10_000, 10_000 + count),
        language=lambda i: "sl" if i % 4 else "en",
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@pytest.mark.bench
@pytest.mark.timeout(RECIPIENTS / RATE * 3 + 120)
async def test_broadcast_at_the_rate_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotAPIEmulator(TOKEN, limits=RateLimits.strict()) as emulator:
        emulator.processing_hook = True
        url = f"sqlite+aiosqlite:///{tmp_path / 'bench.sqlite3'}"
        async with running_bot(emulator, url, delivery_rate=RATE, chat_burst=1) as bot:
            author = await seed_resident(bot, 1, "Koordinatorka")
            probes = [await seed_resident(bot, 2 + i, f"Merilec {i}") for i in range(PROBES)]
            await _seed(bot, emulator, RECIPIENTS)
            draft = await ready_to_send(bot.services, author.id, TEXT, urgent=True)
            # Through the bot's own client, whose limiter then knows about this message.
            assert bot.runtime is not None
            report = await bot.runtime.application.bot.send_message(author.id, "report")
            started = time.monotonic()
            sending = bot.services.announcements.sending
            await sending.dispatch(author.id, draft.id, author.id, report.message_id)

            latencies: list[float] = []

            async def resident_commands() -> None:
                # Residents taking turns, each at a person's pace: 2 commands/s in all.
                turn = 0
                while True:
                    sent = time.monotonic()
                    await probes[turn % PROBES].send("/pomoc")
                    latencies.append(time.monotonic() - sent)
                    turn += 1
                    await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - sent)))

            commands = asyncio.create_task(resident_commands())

            async def finished() -> bool:
                async with bot.services.sessions() as session:
                    open_rows = await session.scalar(
                        select(OutboxMessage.id)
                        .where(OutboxMessage.status.in_(("pending", "sending")))
                        .limit(1)
                    )
                return open_rows is None

            await eventually(finished, timeout=RECIPIENTS / RATE * 3 + 30, interval=0.5)
            elapsed = time.monotonic() - started
            commands.cancel()
            async with bot.services.sessions() as session:
                statuses = Counter((await session.execute(select(OutboxMessage.status))).scalars())

    deliveries = [
        e for e in emulator.log.events if e.kind == "bot_message" and e.text.startswith(TEXT)
    ]
    per_chat = Counter(e.chat_id for e in deliveries)
    expected = RECIPIENTS + 1 + PROBES  # the recipients, the author and the probes
    lost = expected - len(per_chat)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    span = deliveries[-1].at - deliveries[0].at if len(deliveries) > 1 else 0.0
    rate = (len(deliveries) - 1) / span if span else 0.0
    with capsys.disabled():
        print(
            f"\nbroadcast benchmark: {expected} recipients in {elapsed:.1f} s\n"
            f"  achieved {rate:.2f} messages/s = {rate / RATE:.1%} of the configured {RATE:.0f}/s, "
            f"{rate / 30:.1%} of Telegram's 30/s\n"
            f"  429 answers: {emulator.flood.rejected} {emulator.flood.rejections}; lost: {lost}; duplicated: {duplicated}\n"
            f"  resident commands during the broadcast: {len(latencies)}, "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )
    assert statuses == {"sent": expected}
    assert lost == 0 and duplicated == 0
