"""Shared fixtures: databases on both backends, the emulator, and the real bot running against it."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from bot.app import BotRuntime
from bot.config import Settings, load_settings
from bot.emulator import BotAPIEmulator, EmulatedUser, RateLimits

# Tests must not pick up a developer's MAGNET_* configuration (but keep the test knobs).
_TEST_KNOBS = ("MAGNET_TEST_", "MAGNET_BENCH_", "MAGNET_CRASH_")
for _name in [n for n in os.environ if n.startswith("MAGNET_") and not n.startswith(_TEST_KNOBS)]:
    del os.environ[_name]

# ...nor a developer's .env file in the working directory.
Settings.model_config["env_file"] = None

POSTGRES_ADMIN_DSN = os.environ.get(
    "MAGNET_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
TOKEN = "123456:TEST-TOKEN-for-the-emulator"
ADMIN_ID = 777


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


def make_settings(emulator: BotAPIEmulator, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": TOKEN,
        "bot_api_url": emulator.base_url,
        "database_url": database_url,
        "admin_ids": str(ADMIN_ID),
        "auto_migrate": True,
        "poll_timeout": 1,
        "quiet_hours": "",  # tests that want quiet hours set them; the clock may be at night
        "scheduler_seconds": 0.2,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Harness:
    """The real Application on a real database, behind the emulator; restartable."""

    emulator: BotAPIEmulator
    settings: Settings
    runtime: BotRuntime | None = None
    users: dict[int, EmulatedUser] = field(default_factory=dict)

    async def start(self) -> None:
        self.runtime = BotRuntime(self.settings, on_update_done=self.emulator.mark_processed)
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def services(self):  # type: ignore[no-untyped-def]
        assert self.runtime is not None
        return self.runtime.services

    def user(self, user_id: int, name: str, language_code: str | None = "sl") -> EmulatedUser:
        if user_id not in self.users:
            self.users[user_id] = EmulatedUser(self.emulator, user_id, name, language_code)
        return self.users[user_id]


@contextlib.asynccontextmanager
async def running_bot(
    emulator: BotAPIEmulator, database_url: str, **overrides: object
) -> AsyncIterator[Harness]:
    harness = Harness(emulator, make_settings(emulator, database_url, **overrides))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def bot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_bot(emulator, sqlite_url) as harness:
        yield harness


@pytest.fixture
async def bot_on(emulator: BotAPIEmulator, db_url: str) -> AsyncIterator[Harness]:
    """The bot on each backend in turn."""
    async with running_bot(emulator, db_url) as harness:
        yield harness


async def onboard(
    user: EmulatedUser,
    *,
    municipality: str = "Celje",
    age: str = "18–24 let",
    status: str = "Zaposlen/-a",
    topics: tuple[str, ...] = ("Dostopna stanovanja",),
) -> None:
    """A Slovenian resident through onboarding (labels in Slovenian)."""
    await user.send("/start")
    await user.click("✅ Strinjam se")
    await user.click(municipality)
    await user.click(age)
    await user.click(status)
    for topic in topics:
        await user.click(topic)
    await user.click("Končano ✔")


async def eventually(check, timeout: float = 20.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Wait until `check()` (sync or async) returns something truthy; return it."""
    import asyncio
    import inspect

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def seed_resident(
    harness: Harness,
    user_id: int,
    name: str,
    language_code: str = "sl",
    *,
    municipality: str = "celje",
    topics: tuple[str, ...] = (),
):  # type: ignore[no-untyped-def]
    """An onboarded resident, straight through the services (onboarding has its own tests)."""
    from bot.domain import Step

    user = harness.user(user_id, name, language_code)
    residents = harness.services.residents
    await residents.touch(user_id)
    await residents.accept_consent(user_id, language_code)
    await residents.answer(user_id, Step.MUNICIPALITY, municipality)
    await residents.answer(user_id, Step.AGE_BAND, "25_34")
    await residents.answer(user_id, Step.STATUS, "employed")
    for topic in topics:
        await residents.toggle_topic(user_id, topic)
    await residents.finish_topics(user_id)
    return user
