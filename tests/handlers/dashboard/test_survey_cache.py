"""The survey page served from cached views is never behind the database: a response that
completes through the survey flow is counted on the next page, and after /forget the page
is the one computed afresh (the anonymous answers stay, as /mydata says)."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from tests.support.dashboard import init_data
from tests.support.harness import ADMIN_ID, running_bot, seed_resident
from tests.support.surveys import answer_survey

COORDINATOR = 8601


async def _survey(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/api/survey") as r:
        assert r.status == 200
        found: dict[str, Any] = await r.json()
        return found


async def test_the_page_follows_completions_and_forgetting(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    async with running_bot(emulator, sqlite_url, http_port=0) as bot:
        await seed_resident(bot, COORDINATOR, "Ana", "sl")
        await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        await bot.services.surveys.rounds.open(ADMIN_ID, "stay_or_leave")
        for n in range(5):  # k = 5: the number of responses is shown
            await seed_resident(bot, 9100 + n, f"R{n}", "sl")
            await answer_survey(bot, 9100 + n, anonymous=n == 0)
        assert bot.runtime is not None and bot.runtime.web is not None
        base = f"http://127.0.0.1:{bot.runtime.web.port}/dashboard"
        views = bot.services.digests.views
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(f"{base}/session", json={"init_data": init_data(COORDINATOR)}):
                pass
            first = await _survey(http, base)
            assert first["completed"] == 5
            assert await _survey(http, base) == first and views._cache.hits >= 1

            await seed_resident(bot, 9200, "Nova", "sl")
            await answer_survey(bot, 9200, anonymous=True)
            assert (await _survey(http, base))["completed"] == 6

            assert await bot.services.privacy.forget(9101)
            served = await _survey(http, base)
            views._cache.clear()
            assert served == await _survey(http, base)  # what the database says now
