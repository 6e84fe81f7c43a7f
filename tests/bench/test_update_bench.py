"""Update benchmark: residents drive the real bot (its own process) through the emulator with a
realistic mix of commands, button presses and survey answers, every one touching the database,
in polling and webhook mode, on SQLite and PostgreSQL; then the same load against a minimal
python-telegram-bot echo bot with default settings, as the baseline. Prints figures; asserts
only that every update was answered.

Two phases per bot: latency at a fixed arrival rate (open loop: residents act on a timetable,
whether or not the bot keeps up), and sustained throughput (closed loop: a crowd of residents
each acting again as soon as answered). Every Bot API call takes a network round trip
(MAGNET_BENCH_RTT seconds, default 0.03, about what a server in Europe sees to Telegram).

    MAGNET_BENCH_UPDATES_SECONDS=15 MAGNET_BENCH_UPDATES_RESIDENTS=300 \
      MAGNET_BENCH_UPDATES_CROWD=100 .venv/bin/python -m pytest tests/bench/test_update_bench.py -s
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_services
from bot.config import load_settings
from bot.emulator import BotAPIEmulator, RateLimits
from bot.emulator.state import Event
from tests.support.harness import eventually
from tests.support.labs import insert_lab
from tests.support.replicas import free_port, start_replica
from tests.support.seeding import insert_residents

TOKEN = "6666:UPDATE-BENCH-TOKEN"
SECONDS = float(os.environ.get("MAGNET_BENCH_UPDATES_SECONDS", "1"))
RATE = float(os.environ.get("MAGNET_BENCH_UPDATES_RATE", "100"))
RTT = float(os.environ.get("MAGNET_BENCH_RTT", "0.03"))
CROWD = int(os.environ.get("MAGNET_BENCH_UPDATES_CROWD", "40"))
RESIDENTS = int(os.environ.get("MAGNET_BENCH_UPDATES_RESIDENTS", "60"))
RESIDENT_IDS = range(50_000, 50_000 + RESIDENTS)
COORDINATOR = 9300
# One resident's round, as people use the bot: mostly taps. The survey (answers edit its one
# message in place), then the labs list and a tap or two there. Two of ten updates need a
# new message, and Telegram allows a bot about 30 new messages a second in all: a mix of
# only commands could not go past ~30 updates/s on any bot that keeps the limit.
SCRIPT = (
    ("text", "/anketa"),
    *(("press", ""),) * 6,
    ("text", "/delavnice"),
    ("press", ""),
    ("press", ""),
)
REPLY_KINDS = frozenset({"bot_message", "bot_edit", "bot_photo", "bot_document"})


@dataclass
class Load:
    """Residents acting one update at a time; an update counts as answered at the bot's first
    message or edit in that chat after it."""

    emulator: BotAPIEmulator
    residents: list[int]
    latencies: list[float] = field(default_factory=list)
    pushed: int = 0
    missed: int = 0
    _waiting: dict[int, tuple[float, int]] = field(default_factory=dict)
    _step: dict[int, int] = field(default_factory=dict)
    _idle: deque[int] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._idle.extend(self.residents)
        self.emulator.log.listeners.append(self._seen)

    def close(self) -> None:
        self.emulator.log.listeners.remove(self._seen)

    def _seen(self, event: Event) -> None:
        waiting = self._waiting.get(event.chat_id)
        # A tap's answer is its edit or new message, or a notice on the button itself (a
        # stale button, a full lab): a callback answer that says something.
        reply = event.kind in REPLY_KINDS or (event.kind == "callback_answer" and event.text)
        if reply and waiting is not None and event.seq > waiting[1]:
            del self._waiting[event.chat_id]
            self.latencies.append(event.at - waiting[0])
            self._idle.append(event.chat_id)
            self._wake.set()

    @property
    def unanswered(self) -> int:
        return len(self._waiting)

    async def act(self, resident: int, action: tuple[str, str] | None = None) -> None:
        """The resident's next step of SCRIPT (residents start at different steps), or `action`."""
        step = self._step.get(resident, 0)
        if action is None:
            self._step[resident] = step + 1
        kind, text = action or SCRIPT[(step + resident) % len(SCRIPT)]
        chat = self.emulator.chats[resident]
        assert chat.user is not None
        seq = self.emulator.log.events[-1].seq if self.emulator.log.events else 0
        self._waiting[resident] = (time.monotonic(), seq)
        self.pushed += 1
        button = _first_button(self.emulator, resident) if kind == "press" else None
        if button is None:
            await self.emulator.user_message(chat.user, text or "/anketa")
        else:
            message, data, label = button
            await self.emulator.user_click(chat.user, message, data, label)

    async def open_loop(self, rate: float, seconds: float) -> None:
        """An update every 1/rate s from whoever is free; if nobody is, the bot is behind."""
        start = time.monotonic()
        n = 0
        while (now := time.monotonic()) < start + seconds:
            due = start + n / rate
            if due > now:
                await asyncio.sleep(due - now)
            n += 1
            if self._idle:
                await self.act(self._idle.popleft())
            else:
                self.missed += 1

    async def closed_loop(self, seconds: float) -> float:
        """Everyone acts again as soon as answered; answers per second."""
        end = time.monotonic() + seconds
        answered = len(self.latencies)
        began = time.monotonic()
        while time.monotonic() < end:
            while self._idle:
                await self.act(self._idle.popleft())
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.0, end - time.monotonic()))
            except TimeoutError:
                break
        return (len(self.latencies) - answered) / (time.monotonic() - began)

    async def settle(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self._waiting and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _first_button(emulator: BotAPIEmulator, chat_id: int):  # type: ignore[no-untyped-def]
    for message in reversed(list(emulator.chats[chat_id].messages.values())):
        if message.from_bot and message.buttons:
            for row in message.buttons:
                for button in row:
                    if "callback_data" in button:
                        return message, button["callback_data"], button["text"]
            return None
    return None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _meet(emulator: BotAPIEmulator) -> None:
    """A fresh emulator meets the residents already in the database."""
    for i in RESIDENT_IDS:
        emulator.add_user(i, f"R{i}", "sl")


async def _seed(url: str, emulator: BotAPIEmulator) -> None:
    """Residents who finished onboarding, three upcoming labs and an open survey round."""
    services = await open_services(load_settings(database_url=url, auto_migrate=True))
    try:
        await insert_residents(services.sessions, emulator, RESIDENT_IDS, locale="sl")
        for day in (3, 5, 8):
            await insert_lab(
                services.sessions, starts=datetime.now(UTC) + timedelta(days=day), capacity=500
            )
        await services.residents.touch(COORDINATOR)
        await services.surveys.rounds.open(COORDINATOR, services.surveys.default_code())
    finally:
        await services.engine.dispose()


@dataclass
class Figures:
    name: str
    p50: float
    p99: float
    worst: float
    offered: float
    missed: int
    sustained: float

    def line(self) -> str:
        return (
            f"{self.name:<30} {self.offered:6.0f}/s offered: p50 {self.p50 * 1000:6.1f} ms  "
            f"p99 {self.p99 * 1000:6.1f} ms  max {self.worst * 1000:6.1f} ms  "
            f"(missed {self.missed})   sustained {self.sustained:6.1f} updates/s"
        )


async def _measure(name: str, emulator: BotAPIEmulator, residents: list[int]) -> Figures:
    # Everyone opens the survey first (not measured), so that there are buttons to tap.
    for resident in residents:
        emulator.chats[resident].messages.clear()
    primer = Load(emulator, [])
    for start in range(0, len(residents), 25):
        for resident in residents[start : start + 25]:
            await primer.act(resident, ("text", "/anketa"))
        await primer.settle()
    primer.close()
    # Warm up (first queries, connection pools), then latency at the fixed rate...
    warm = Load(emulator, residents[:20])
    await warm.closed_loop(min(1.0, SECONDS))
    await warm.settle()
    warm.close()
    timed = Load(emulator, residents[20:])
    await timed.open_loop(RATE, SECONDS)
    await timed.settle()
    timed.close()
    assert not timed.unanswered, f"{name}: {timed.unanswered} updates never answered"
    # ...then as much as a crowd of residents can get out of it.
    crowd = Load(emulator, residents[20 : 20 + CROWD])
    sustained = await crowd.closed_loop(SECONDS)
    await crowd.settle()
    crowd.close()
    assert not crowd.unanswered, f"{name}: {crowd.unanswered} updates never answered"
    latencies = timed.latencies
    return Figures(
        name,
        _percentile(latencies, 0.5),
        _percentile(latencies, 0.99),
        max(latencies),
        timed.pushed / SECONDS,
        timed.missed,
        sustained,
    )


async def _run_magnet(
    name: str, url: str, webhook: bool, emulator: BotAPIEmulator, tmp: Path, residents: list[int]
) -> Figures:
    port = free_port()
    replica = await start_replica(
        name.replace(" ", "-"),
        directory=tmp,
        token=TOKEN,
        api_url=emulator.base_url,
        database_url=url,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook" if webhook else "",
        port=port,
        webhook=webhook,
        MAGNET_LOG_LEVEL="WARNING",
        MAGNET_LOG_FORMAT="text",
        MAGNET_POLL_TIMEOUT="10",
    )
    try:
        await replica.ready()
        return await _measure(name, emulator, residents)
    finally:
        assert await replica.terminate() == 0, replica.log[-3000:]


async def _run_echo(emulator: BotAPIEmulator, tmp: Path, residents: list[int]) -> Figures:
    log_path = tmp / "echo.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).with_name("echo_bot.py")),
            TOKEN,
            emulator.base_url,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await eventually(lambda: emulator.requests.get("getUpdates"), timeout=120)  # it polls
        return await _measure("echo bot (baseline), polling", emulator, residents)
    finally:
        process.terminate()
        await process.wait()


@pytest.mark.bench
@pytest.mark.timeout(SECONDS * 40 + 300)
async def test_updates_per_second_and_latency(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    figures: list[Figures] = []
    backends = {
        "SQLite": f"sqlite+aiosqlite:///{tmp_path / 'bench.sqlite3'}",
        "PostgreSQL": postgres_url,
    }
    residents = list(RESIDENT_IDS)
    for backend, url in backends.items():
        for webhook in (False, True):
            mode = "webhook" if webhook else "polling"
            async with BotAPIEmulator(TOKEN, limits=RateLimits.off()) as emulator:
                emulator.faults.network = RTT
                if webhook:  # the second run on this database carries on from the first
                    _meet(emulator)
                else:
                    await _seed(url, emulator)
                figures.append(
                    await _run_magnet(
                        f"magnet-bot {backend}, {mode}", url, webhook, emulator, tmp_path, residents
                    )
                )
    async with BotAPIEmulator(TOKEN, limits=RateLimits.off()) as emulator:
        emulator.faults.network = RTT
        _meet(emulator)
        baseline = await _run_echo(emulator, tmp_path, residents)
    with capsys.disabled():
        print(
            f"\nupdate benchmark: {SECONDS:.1f} s per phase, {RTT * 1000:.0f} ms round trip "
            f"per Bot API call, {CROWD} residents in the throughput crowd"
        )
        for figure in [*figures, baseline]:
            print("  " + figure.line())
        for figure in figures:
            print(
                f"  {figure.name}: {figure.sustained / baseline.sustained:.1f}x the baseline's "
                "sustained throughput"
            )
