"""The sending process is killed with SIGKILL at random points during a broadcast, restarted,
and finishes: nothing lost, duplicates only where an attempt was in flight, all on record."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.app import open_services
from bot.config import load_settings
from bot.domain import Role
from bot.emulator import BotAPIEmulator, RateLimits
from storage.db import create_engine, create_sessionmaker
from storage.models import DeliveryAttempt, OutboxMessage
from tests.support.announcements import ready_to_send
from tests.support.seeding import onboard_through_services

TOKEN = "4321:CRASH-TEST-TOKEN"
AUTHOR = 9000
RECIPIENTS = int(os.environ.get("MAGNET_CRASH_RECIPIENTS", "300"))
KILLS = int(os.environ.get("MAGNET_CRASH_KILLS", "4"))
TEXT = "Kriza: preverjamo, da se nič ne izgubi."


async def _seed(url: str, emulator: BotAPIEmulator, blocked: set[int]) -> int:
    settings = load_settings(database_url=url, auto_migrate=True)
    services = await open_services(settings)
    try:
        await onboard_through_services(
            services, emulator, [AUTHOR, *range(1, RECIPIENTS + 1)], status="other"
        )
        for user_id in blocked:
            emulator.chat(user_id).blocked = True  # they blocked the bot; it does not know yet
        await services.roles.grant(0, AUTHOR, Role.COORDINATOR)
        draft = await ready_to_send(services, AUTHOR, TEXT)
        async with Bot(TOKEN, base_url=emulator.base_url) as bot:
            report = await bot.send_message(AUTHOR, "report")
        return await services.announcements.sending.dispatch(
            AUTHOR, draft.id, AUTHOR, report.message_id
        )
    finally:
        await services.engine.dispose()


async def _start(url: str, emulator: BotAPIEmulator, cwd: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNET_")}
    env.update(
        MAGNET_BOT_TOKEN=TOKEN,
        MAGNET_SURVEY_SECRET="a-test-key-that-is-not-in-the-database",
        MAGNET_BOT_API_URL=emulator.base_url,
        MAGNET_DATABASE_URL=url,
        MAGNET_DELIVERY_LEASE_SECONDS="5",
        MAGNET_QUIET_HOURS="",
        MAGNET_SCHEDULER_SECONDS="0.5",
        MAGNET_LOG_LEVEL="WARNING",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=str(cwd),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def _delivered(emulator: BotAPIEmulator) -> Counter[int]:
    return Counter(
        chat.id
        for chat in emulator.chats.values()
        for message in chat.messages.values()
        if message.from_bot and (message.text or "").startswith(TEXT)
    )


async def _rows(url: str) -> tuple[list[tuple[int, str]], list[str | None]]:
    engine = create_engine(url)
    try:
        return await _read(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _read(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[list[tuple[int, str]], list[str | None]]:
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage.chat_id, OutboxMessage.status))).all()
        outcomes = (await session.execute(select(DeliveryAttempt.outcome))).scalars().all()
    return [(r.chat_id, r.status) for r in rows], list(outcomes)


async def test_sigkill_during_a_broadcast_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("MAGNET_CRASH_SEED", "20261122")))
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    blocked = set(rng.sample(range(1, RECIPIENTS + 1), 7))
    async with BotAPIEmulator(TOKEN, limits=RateLimits.strict()) as emulator:
        total = await _seed(url, emulator, blocked)
        # Answers take a while, as over a real network: several sends are always in flight.
        emulator.faults.latency = 0.2
        assert total == RECIPIENTS + 1
        kills = 0
        while kills < KILLS:
            before = len(_delivered(emulator))
            process = await _start(url, emulator, tmp_path)
            # Let it get going, then kill it wherever it is.
            for _ in range(400):
                if len(_delivered(emulator)) > before:
                    break
                await asyncio.sleep(0.025)
            await asyncio.sleep(rng.uniform(0.0, 2.0))
            process.kill()
            await process.wait()
            kills += 1
        process = await _start(url, emulator, tmp_path)
        # One engine for the polling: opening the bot's services ten times a second took
        # the CPU the bot under test needed.
        engine = create_engine(url)
        try:
            sessions = create_sessionmaker(engine)
            for _ in range(1200):
                rows, _ = await _read(sessions)
                if all(status in ("sent", "blocked", "failed") for _, status in rows):
                    break
                await asyncio.sleep(0.1)
        finally:
            await engine.dispose()
            process.terminate()
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, stderr.decode()[-2000:]

    rows, outcomes = await _rows(url)
    statuses = dict(rows)
    delivered = _delivered(emulator)
    # Every recipient ends sent, blocked or failed; the blocked ones are recognised as such.
    assert Counter(statuses.values()).keys() <= {"sent", "blocked", "failed"}
    assert {chat for chat, status in statuses.items() if status == "blocked"} == blocked
    # None lost: everyone not blocked got the announcement.
    assert all(delivered[chat] >= 1 for chat, status in statuses.items() if status == "sent")
    assert all(delivered[chat] == 0 for chat in blocked)
    # Duplicates only where an attempt's outcome was never learned (in flight at a kill).
    duplicates = sum(count - 1 for count in delivered.values() if count > 1)
    unresolved = sum(1 for outcome in outcomes if outcome in (None, "unknown"))
    assert duplicates <= unresolved
    # All recorded: no message went out without an attempt written down first.
    assert sum(delivered.values()) <= sum(1 for o in outcomes if o in (None, "unknown", "sent"))
    print(
        f"\ncrash test: {RECIPIENTS + 1} recipients, {kills} SIGKILLs, "
        f"{sum(delivered.values())} deliveries, {duplicates} duplicates, "
        f"{unresolved} attempts in flight at a kill"
    )
