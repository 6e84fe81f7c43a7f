"""The update benchmark's other side, in a process of its own: the Bot API emulator and the
residents who drive a bot through it. Run by tests/bench/test_update_bench.py, never alone.

Kept out of the bot's process (and, where the machine has two cores, pinned to the other one)
so that the bot's figures are its own: when the generator shared the bot's event loop or core,
it could not offer the rate it was asked for, and its own work counted as the bot's.

    python update_load.py CONFIG_JSON     # prints {"base_url": ...}; then reads one line,
                                          # {"bot_pid": N, "metrics_url": URL | null}, and
                                          # prints the figures as one JSON line
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository's root is two levels up
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import aiohttp

from bot.emulator import BotAPIEmulator, RateLimits
from bot.emulator.state import Event

# One resident's round, as people use the bot: mostly taps. The survey (answers edit its one
# message in place), then the labs list and a tap or two there. Two of ten updates need a
# new message, and Telegram allows a bot about 30 new messages a second in all: a mix of
# only commands could not go past ~30 updates/s on any bot that keeps the limit.
# A press takes the first button of the newest message that has buttons, or the first whose
# label starts with what the step names, else the last one. On a lab's page: back to the
# list. Everyone signed up for the first lab before the measured phases (see `measure`), as
# residents of a town that has run labs for a while have: a sign-up sends a calendar file
# too, and a crowd all signing up at once would measure a launch, not a day.
SCRIPT = (
    ("text", "/anketa"),
    *(("press", ""),) * 6,
    ("text", "/delavnice"),
    ("press", ""),
    ("press", "«"),
)
# Not measured: the first lab joined, and the survey opened so that there are buttons to tap.
PRIMER = (("text", "/delavnice"), ("press", ""), ("press", "✍️"), ("text", "/anketa"))
STEPS: dict[int, int] = {}
REPLY_KINDS = frozenset({"bot_message", "bot_edit", "bot_photo", "bot_document"})
NEW_MESSAGES = REPLY_KINDS - {"bot_edit"}
# The generator is broken, not the bot, when it could not keep its own timetable this well.
OFFER_SHARE = 0.95
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """Residents acting one update at a time; an update counts as answered at the bot's first
    message or edit in that chat after it."""

    emulator: BotAPIEmulator
    residents: list[int]
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    pushed: int = 0
    missed: int = 0
    elapsed: float = 0.0
    _waiting: dict[int, tuple[float, int]] = field(default_factory=dict)
    # Where each resident is in SCRIPT, carried over from one phase to the next.
    _step: dict[int, int] = field(default_factory=lambda: STEPS)
    _idle: deque[int] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    # What the bot did through the Bot API meanwhile, by kind: new messages are what
    # Telegram's ~30/s limit counts.
    calls: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._idle.extend(self.residents)
        self.emulator.log.listeners.append(self._seen)

    def close(self) -> None:
        self.emulator.log.listeners.remove(self._seen)

    def _seen(self, event: Event) -> None:
        if event.kind.startswith("bot_") or event.kind == "callback_answer":
            self.calls[event.kind] += 1
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
        button = _button(self.emulator, resident, text) if kind == "press" else None
        if button is None:  # a command, or a press with nothing to press: the survey again
            await self.emulator.user_message(chat.user, text if kind == "text" else "/anketa")
        else:
            message, data, label = button
            await self.emulator.user_click(chat.user, message, data, label)

    async def open_loop(self, rate: float, seconds: float) -> None:
        """An update every 1/rate s from whoever is free; if nobody is, the bot is behind
        (missed). `lags` says how late the generator itself was against its timetable."""
        start = time.monotonic()
        n = 0
        while (now := time.monotonic()) < start + seconds:
            due = start + n / rate
            if due > now:
                await asyncio.sleep(due - now)
            self.lags.append(max(0.0, time.monotonic() - due))
            n += 1
            if self._idle:
                await self.act(self._idle.popleft())
            else:
                self.missed += 1
        self.elapsed = time.monotonic() - start

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
        self.elapsed = time.monotonic() - began
        return (len(self.latencies) - answered) / self.elapsed

    async def settle(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self._waiting and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _button(emulator: BotAPIEmulator, chat_id: int, prefix: str):  # type: ignore[no-untyped-def]
    """(message, data, label) of the button a press takes (see SCRIPT), or None."""
    for message in reversed(list(emulator.chats[chat_id].messages.values())):
        if message.from_bot and message.buttons:
            buttons = [b for row in message.buttons for b in row if "callback_data" in b]
            if not buttons:
                return None
            chosen = buttons[0]
            if prefix:
                named = [b for b in buttons if b["text"].startswith(prefix)]
                chosen = named[0] if named else buttons[-1]
            return message, chosen["callback_data"], chosen["text"]
    return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system time of the whole process (all its threads), as the kernel counts it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident set size now and at its peak, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


async def sql_counts(metrics_url: str | None) -> dict[str, tuple[float, float]]:
    """Per update kind: (updates, SQL statements) so far, from the bot's /metrics."""
    if metrics_url is None:
        return {}
    from prometheus_client.parser import text_string_to_metric_families

    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        http.get(metrics_url) as response,
    ):
        text = await response.text()
    updates: dict[str, float] = {}
    statements: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "magnet_update_kinds_total":
                updates[sample.labels["kind"]] = sample.value
            elif sample.name == "magnet_sql_statements_total":
                statements[sample.labels["kind"]] = sample.value
    return {kind: (updates[kind], statements.get(kind, 0.0)) for kind in updates}


def _per_update(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]
) -> dict[str, float]:
    result = {}
    for kind, (updates, statements) in after.items():
        was_updates, was_statements = before.get(kind, (0.0, 0.0))
        if updates > was_updates:
            result[kind] = (statements - was_statements) / (updates - was_updates)
    return result


async def measure(
    config: dict[str, Any], emulator: BotAPIEmulator, bot_pid: int, metrics_url: str | None
) -> dict[str, Any]:
    residents = list(range(config["first_resident"], config["first_resident"] + config["count"]))
    seconds, rate, crowd_size = config["seconds"], config["rate"], config["crowd"]
    primer = Load(emulator, [])
    for start in range(0, len(residents), 25):
        for action in PRIMER:
            for resident in residents[start : start + 25]:
                await primer.act(resident, action)
            await primer.settle()
    await asyncio.sleep(1.0)  # the calendar files after the sign-ups, before anyone acts again
    primer.close()
    # Warm up (first queries, connection pools), then latency at the fixed rate...
    warm = Load(emulator, residents[:20])
    await warm.closed_loop(min(1.0, seconds))
    await warm.settle()
    warm.close()
    sql_before = await sql_counts(metrics_url)
    cpu_before = cpu_seconds(bot_pid)
    timed = Load(emulator, residents[20:])
    await timed.open_loop(rate, seconds)
    await timed.settle()
    timed.close()
    cpu_timed = cpu_seconds(bot_pid) - cpu_before
    # ...then as much as a crowd of residents can get out of it.
    crowd = Load(emulator, residents[20 : 20 + crowd_size])
    cpu_before, own_before = cpu_seconds(bot_pid), time.process_time()
    sustained = await crowd.closed_loop(seconds)
    crowd_answered = len(crowd.latencies)
    crowd_sends = sum(n for kind, n in crowd.calls.items() if kind in NEW_MESSAGES)
    cpu_crowd = cpu_seconds(bot_pid) - cpu_before
    own_busy = (time.process_time() - own_before) / crowd.elapsed
    await crowd.settle()
    crowd.close()
    sql_after = await sql_counts(metrics_url)
    rss, peak = memory_mb(bot_pid)
    attempted = timed.pushed + timed.missed
    return {
        "asked": rate,
        "offered": timed.pushed / timed.elapsed,
        "attempted": attempted / timed.elapsed,
        "generator_kept_up": attempted >= OFFER_SHARE * rate * seconds,
        "lag_p99": percentile(timed.lags, 0.99),
        "missed": timed.missed,
        "unanswered": timed.unanswered + crowd.unanswered,
        "p50": percentile(timed.latencies, 0.5),
        "p99": percentile(timed.latencies, 0.99),
        "worst": max(timed.latencies, default=float("nan")),
        "sustained": sustained,
        "cpu_ms_timed": 1000 * cpu_timed / max(1, len(timed.latencies)),
        "cpu_ms_crowd": 1000 * cpu_crowd / max(1, crowd_answered),
        "load_busy": own_busy,
        "bot_busy": cpu_crowd / crowd.elapsed,  # of one core
        "sql": _per_update(sql_before, sql_after),
        "calls": {k: n / max(1, len(timed.latencies)) for k, n in timed.calls.items()},
        # New messages a second in the crowd: Telegram allows a bot about 30.
        "sends_crowd": crowd_sends / crowd.elapsed,
        "rss_mb": rss,
        "peak_mb": peak,
    }


async def main(config: dict[str, Any]) -> None:
    if config.get("cpu") is not None:
        os.sched_setaffinity(0, {config["cpu"]})
    async with BotAPIEmulator(config["token"], limits=RateLimits.off()) as emulator:
        emulator.faults.network = config["rtt"]
        for i in range(config["first_resident"], config["first_resident"] + config["count"]):
            emulator.add_user(i, f"R{i}", "sl")
        print(json.dumps({"base_url": emulator.base_url}), flush=True)
        loop = asyncio.get_running_loop()
        line = await loop.run_in_executor(None, sys.stdin.readline)
        command = json.loads(line)
        result = await measure(config, emulator, command["bot_pid"], command["metrics_url"])
        print(json.dumps(result), flush=True)
        # Stay up until told: the bot must not lose its Bot API while it is being stopped.
        await loop.run_in_executor(None, sys.stdin.readline)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
