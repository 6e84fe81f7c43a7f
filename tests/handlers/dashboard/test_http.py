"""The dashboard's HTTP side without a browser: cookie flags, security headers, origins,
expired sign-in data, and a revoked token or a role taken away ending the session."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from tests.support.dashboard import init_data
from tests.support.harness import ADMIN_ID, Harness, running_bot, seed_resident

COORDINATOR = 8501


@pytest.fixture
async def site(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[tuple[Harness, str]]:
    async with running_bot(
        emulator, sqlite_url, http_port=0, public_url="https://magnet.example"
    ) as bot:
        await seed_resident(bot, COORDINATOR, "Ana", "sl")
        await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        assert bot.runtime is not None and bot.runtime.web is not None
        yield bot, f"http://127.0.0.1:{bot.runtime.web.port}/dashboard"


def _client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_the_session_cookie_and_the_headers(site: tuple[Harness, str]) -> None:
    bot, base = site
    # The public address is HTTPS, so the cookie is Secure, and a client sends it back only
    # over HTTPS: this one, talking to the bot without the proxy, sends it by hand.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with http.post(f"{base}/session", json={"init_data": init_data(COORDINATOR)}) as r:
            assert r.status == 200
            cookie = r.headers["Set-Cookie"]
            http.headers["Cookie"] = f"magnet_dashboard={r.cookies['magnet_dashboard'].value}"
        for flag in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/dashboard", "Max-Age=28800"):
            assert flag in cookie, cookie
        assert str(COORDINATOR) not in cookie  # database ids only
        async with http.get(f"{base}/survey") as page:
            assert page.status == 200
            csp = page.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            html = await page.text()
        assert '<script src="/dashboard/static/app.js"' in html
        assert "http" not in html.split("<body>")[0].replace("http-equiv", "")  # nothing external
        # A form posted from another site is refused, even with the right token.
        csrf = html.split('name="csrf" value="')[1].split('"')[0]
        async with http.post(
            f"{base}/language",
            data={"csrf": csrf, "lang": "en"},
            headers={"Origin": "https://evil.example"},
        ) as r:
            assert r.status == 403
        async with http.post(
            f"{base}/language", data={"csrf": csrf, "lang": "en"}, allow_redirects=False
        ) as r:
            assert r.status == 303 and "Max-Age" in r.headers["Set-Cookie"]
        # The role taken away: the session ends at the next page.
        await bot.services.roles.revoke(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        async with http.get(f"{base}/api/survey") as r:
            assert r.status == 403


async def test_expired_or_foreign_sign_ins_and_revoked_tokens(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    async with running_bot(emulator, sqlite_url, http_port=0) as bot:
        await seed_resident(bot, COORDINATOR, "Ana", "sl")
        await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        assert bot.runtime is not None and bot.runtime.web is not None
        await _sign_ins(bot, f"http://127.0.0.1:{bot.runtime.web.port}/dashboard")


async def _sign_ins(bot: Harness, base: str) -> None:
    old = init_data(COORDINATOR, auth_date=time.time() - 2 * 86400)
    async with _client() as http:
        async with http.post(f"{base}/session", json={"init_data": old}) as r:
            assert r.status == 401 and "potekla" in (await r.json())["error"]
        async with http.post(
            f"{base}/session",
            json={"init_data": init_data(COORDINATOR)},
            headers={"Origin": "https://evil.example"},
        ) as r:
            assert r.status == 403
        async with http.post(f"{base}/login", data={"token": "mgt_wrong"}) as r:
            assert r.status == 401
        token_id, token = await bot.services.tokens.create("laptop")
        async with http.post(f"{base}/login", data={"token": token}) as r:
            assert r.status == 200 and r.url.path == "/dashboard/survey"
        async with http.get(f"{base}/api/downloads") as r:
            assert r.status == 200
        await bot.services.tokens.revoke(token_id)
        async with http.get(f"{base}/api/downloads") as r:
            assert r.status == 401
