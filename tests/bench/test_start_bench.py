"""Start benchmark: seconds from launching `magnet-bot run` to its first getUpdates, beside the
python-telegram-bot echo bot's, measured the same way in the same run. Prints the median of
a few starts of each (after one start of each that is not counted: it migrates the database,
compiles the bytecode and warms the file cache). Every Bot API call takes MAGNET_BENCH_RTT seconds.

    MAGNET_BENCH_START_RUNS=7 .venv/bin/python -m pytest tests/bench/test_start_bench.py -s
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import pytest

from bot.emulator import BotAPIEmulator, RateLimits
from tests.support.cli import cli_env
from tests.support.harness import TOKEN

RUNS = int(os.environ.get("MAGNET_BENCH_START_RUNS", "1"))
RTT = float(os.environ.get("MAGNET_BENCH_RTT", "0.03"))
ECHO_SCRIPT = Path(__file__).with_name("echo_bot.py")


async def _first_poll(emulator: BotAPIEmulator, command: list[str], env: dict[str, str]) -> float:
    """Seconds from launching the process to its first getUpdates; then it is stopped."""
    seen = emulator.requests.get("getUpdates", 0)
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        deadline = began + 120
        while emulator.requests.get("getUpdates", 0) == seen:
            if process.returncode is not None or time.monotonic() > deadline:
                _, err = await process.communicate()
                raise AssertionError(f"{command} did not poll:\n{err.decode()[-3000:]}")
            await asyncio.sleep(0.002)
        return time.monotonic() - began
    finally:
        if process.returncode is None:
            process.terminate()
        await process.communicate()


@pytest.mark.bench
@pytest.mark.timeout(120 + RUNS * 60)
async def test_seconds_to_first_get_updates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotAPIEmulator(TOKEN, limits=RateLimits.off()) as emulator:
        emulator.faults.network = RTT
        env = cli_env(
            MAGNET_BOT_TOKEN=TOKEN,
            MAGNET_BOT_API_URL=emulator.base_url,
            MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'start.sqlite3'}",
            MAGNET_LOG_LEVEL="WARNING",
            # An installed bot has its bytecode compiled (pip and the image do it); a checkout
            # run with PYTHONDONTWRITEBYTECODE would compile every module of its own at each
            # start. The uncounted first starts fill this cache, for both bots alike.
            PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        magnet = [sys.executable, "-m", "bot.cli", "run"]
        echo = [sys.executable, str(ECHO_SCRIPT), TOKEN, emulator.base_url]
        await _first_poll(emulator, magnet, env)  # migrates; warms the caches
        await _first_poll(emulator, echo, env)
        magnet_times, echo_times = [], []
        for _ in range(RUNS):
            magnet_times.append(await _first_poll(emulator, magnet, env))
            echo_times.append(await _first_poll(emulator, echo, env))
    ours, theirs = statistics.median(magnet_times), statistics.median(echo_times)
    with capsys.disabled():
        print(
            f"\nstart benchmark: median of {RUNS} start(s), {RTT * 1000:.0f} ms round trip per "
            f"Bot API call\n  magnet-bot run: {ours:.2f} s to the first getUpdates "
            f"(all: {', '.join(f'{t:.2f}' for t in magnet_times)})\n"
            f"  echo bot:       {theirs:.2f} s (all: {', '.join(f'{t:.2f}' for t in echo_times)})"
            f"\n  ratio: {ours / theirs:.2f}x the echo bot's"
        )
