"""Shared fixtures: databases on both backends, the emulator, and the real bot running against it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.emulator import BotAPIEmulator, RateLimits
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from tests.support.harness import POSTGRES_ADMIN_DSN, TOKEN, Harness, running_bot

# Tests must not pick up a developer's MAGNET_* configuration (but keep the test knobs).
_TEST_KNOBS = ("MAGNET_TEST_", "MAGNET_BENCH_", "MAGNET_CRASH_")
for _name in [n for n in os.environ if n.startswith("MAGNET_") and not n.startswith(_TEST_KNOBS)]:
    del os.environ[_name]

# ...nor a developer's .env file in the working directory.
Settings.model_config["env_file"] = None


async def _postgres_or_skip() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = await _postgres_or_skip()
    name = f"magnet_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'magnet.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Every storage test runs on both backends."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator(TOKEN, limits=RateLimits()) as emu:
        emu.processing_hook = True
        yield emu


@pytest.fixture
async def bot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_bot(emulator, sqlite_url) as harness:
        yield harness


@pytest.fixture
async def bot_on(emulator: BotAPIEmulator, db_url: str) -> AsyncIterator[Harness]:
    """The bot on each backend in turn."""
    async with running_bot(emulator, db_url) as harness:
        yield harness


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database on each backend, for service and storage tests."""
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


# Benchmarks print their figures; under pytest-xdist a worker's terminal is not ours, so the
# figures travel in each report's captured output and are printed here, after the run.
_bench_figures: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.nodeid.startswith("tests/bench/"):
        text = "".join(content for title, content in report.sections if "stdout" in title)
        if text.strip():
            _bench_figures.append((report.nodeid, text.strip("\n")))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not _bench_figures:
        return
    terminalreporter.section("benchmark figures")
    for nodeid, text in sorted(_bench_figures):
        terminalreporter.write_line(nodeid)
        for line in text.splitlines():
            terminalreporter.write_line("  " + line)
