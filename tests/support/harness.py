"""The real bot behind the emulator, and the residents who talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bot.config import Settings, load_settings
from bot.domain import Step
from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.runtime import BotRuntime

POSTGRES_ADMIN_DSN = os.environ.get(
    "MAGNET_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
TOKEN = "123456:TEST-TOKEN-for-the-emulator"
ADMIN_ID = 777


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
        "survey_secret": "a-test-key-that-is-not-in-the-database",
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


async def onboard(
    user: EmulatedUser,
    *,
    municipality: str = "V Celju",
    age: str = "18–24 let",
    status: str = "Zaposlen/-a",
    topics: tuple[str, ...] = ("Cenovno dostopna stanovanja",),
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
