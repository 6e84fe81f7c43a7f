"""The dashboard's language switch offers the languages the town's profile offers, each
named in itself, as the bot's /language does."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from tests.handlers.test_town_profile import german_town
from tests.support.dashboard import init_data
from tests.support.harness import ADMIN_ID, running_bot, seed_resident

COORDINATOR = 8801
SWITCH = re.compile(r'<button class="link" name="lang" value="([a-z]+)" lang="\1">([^<]+)</button>')


async def test_a_third_language_is_offered_and_kept(
    emulator: BotAPIEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    profile = str(german_town(tmp_path))
    async with running_bot(emulator, sqlite_url, profile=profile, http_port=0) as bot:
        await seed_resident(bot, COORDINATOR, "Ana", "sl")
        await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        assert bot.runtime is not None and bot.runtime.web is not None
        base = f"http://127.0.0.1:{bot.runtime.web.port}/dashboard"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(
                f"{base}/session", json={"init_data": init_data(COORDINATOR)}
            ) as r:
                assert r.status == 200
            html = await (await http.get(f"{base}/survey")).text()
            assert '<html lang="sl">' in html
            assert SWITCH.findall(html) == [("en", "English"), ("de", "Deutsch")]
            csrf = html.split('name="csrf" value="')[1].split('"')[0]

            await http.post(f"{base}/language", data={"csrf": csrf, "lang": "de", "next": "labs"})
            html = await (await http.get(f"{base}/labs")).text()
            assert '<html lang="de">' in html
            assert SWITCH.findall(html) == [("sl", "Slovenščina"), ("en", "English")]

            # A language the town does not offer changes nothing.
            async with http.post(
                f"{base}/language", data={"csrf": csrf, "lang": "hu"}, allow_redirects=False
            ) as r:
                assert r.status == 303 and "Set-Cookie" not in r.headers
            html = await (await http.get(f"{base}/survey")).text()
            assert '<html lang="de">' in html
