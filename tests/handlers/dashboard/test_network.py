"""The survey page's "beside the other towns" section, and the town's own feed, in process:
Celje's headline share beside Prebold's (from a signed feed) and the median, a peer that
cannot be reached said so, and the published feed holding no figure under k."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from bot.services.network import keys
from bot.services.network.feed import schema_errors, sign_feed, stamp
from tests.support.dashboard import init_data
from tests.support.harness import ADMIN_ID, Harness, eventually, running_bot, seed_resident
from tests.support.replicas import free_port
from tests.support.surveys import seed_completed

COORDINATOR = 8601
CODE = "stay_or_leave"
INTENTION = ["definitely_stay", "probably_stay", "probably_leave", "definitely_leave", "dont_know"]


def prebold_feed(key: Ed25519PrivateKey) -> dict[str, Any]:
    """Written by hand, as another implementation of the schema would: 12 of 20 stay."""
    payload = {
        "schema_version": 1,
        "town": {"code": "prebold", "name": "Prebold"},
        "generated_at": stamp(datetime.now(UTC)),
        "k": 5,
        "surveys": [
            {
                "code": CODE,
                "version": "0123456789abcdef",
                "round": 3,
                "completed": 20,
                "questions": [
                    {
                        "code": "intention",
                        "options": INTENTION,
                        "total": 20,
                        "counts": {"definitely_stay": 5, "probably_stay": 7},
                        "headline": {"options": INTENTION[:2], "count": 12},
                    }
                ],
            }
        ],
    }
    return sign_feed(payload, key)


@pytest.fixture
async def celje(
    emulator: BotAPIEmulator, sqlite_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Harness, str]]:
    prebold_key = Ed25519PrivateKey.generate()
    feed = prebold_feed(prebold_key)
    assert schema_errors(feed) == []

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(feed)

    app = web.Application()
    app.router.add_get("/feed", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    key_file = tmp_path / "celje.key"
    keys.generate(key_file)
    peers = tmp_path / "peers.yaml"
    peers.write_text(
        "peers:\n"
        f"  - {{code: prebold, name: Prebold, url: 'http://127.0.0.1:{port}/feed',"
        f" public_key: '{keys.public_text(prebold_key.public_key())}'}}\n"
        f"  - {{code: zalec, name: Žalec, url: 'http://127.0.0.1:{free_port()}/feed',"
        f" public_key: '{keys.public_text(Ed25519PrivateKey.generate().public_key())}'}}\n",
        encoding="utf-8",
    )
    try:
        async with running_bot(
            emulator,
            sqlite_url,
            http_port=0,
            network_town_code="celje",
            network_town_name="Celje",
            network_key_file=key_file,
            network_peers_file=peers,
            network_fetch_minutes=0.01,
        ) as bot:
            await seed_resident(bot, COORDINATOR, "Ana", "sl")
            await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
            await bot.services.surveys.rounds.open(ADMIN_ID, CODE)
            stay = {"lives": "celje", "intention": "definitely_stay"}
            leave = {"lives": "celje", "intention": "probably_leave"}
            unsure = {"lives": "celje", "intention": "dont_know"}
            answers = [stay] * 10 + [leave] * 6 + [unsure] * 2 + [{"lives": "celje"}] * 3
            await seed_completed(
                bot.services.sessions,
                CODE,
                bot.services.surveys.shipped[CODE],
                [(None, None, a) for a in answers],
            )
            assert bot.runtime is not None and bot.runtime.web is not None
            yield bot, f"http://127.0.0.1:{bot.runtime.web.port}"
    finally:
        await runner.cleanup()


async def _statuses(bot: Harness) -> dict[str, Any]:
    return {s.code: s for s in await bot.services.network.statuses()}


async def test_the_survey_page_sets_celje_beside_the_network(
    celje: tuple[Harness, str],
) -> None:
    bot, base = celje
    found = await eventually(lambda: _ready(bot), 60)
    assert found["zalec"].last_error == "unreachable"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{base}/dashboard/session", json={"init_data": init_data(COORDINATOR)}
        ) as r:
            assert r.status == 200
        async with http.get(f"{base}/dashboard/api/survey") as r:
            data = await r.json()
        async with http.get(f"{base}/dashboard/survey") as r:
            page = await r.text()
    network = data["network"]
    assert network["title"] == "V primerjavi z drugimi kraji mreže"
    [question] = network["questions"]
    assert question["code"] == "intention" and question["label"] == "nameravajo ostati"
    # Celje: 10 of 18 who answered it (56 %); Prebold 12 of 20 (60 %); the median 58 %.
    assert question["towns"] == [
        {"name": "Celje (naš kraj)", "ours": True, "percent": 56},
        {"name": "Mediana mreže (2 kraja)", "median": True, "percent": 58},
        {"name": "Prebold", "percent": 60},
    ]
    statuses = {p["code"]: p["status"] for p in network["peers"]}
    assert (
        statuses["zalec"]
        == "Zadnji vir podatkov je bil zavrnjen: strežnika kraja ni bilo mogoče doseči."
    )
    assert statuses["prebold"].startswith("Številke z dne ")
    assert "V primerjavi z drugimi kraji mreže" in page and "Mediana mreže (2 kraja)" in page
    assert "Celje (naš kraj)" in page


async def _ready(bot: Harness) -> dict[str, Any] | None:
    found = await _statuses(bot)
    taken = found["prebold"].generated_at is not None
    return found if taken and found["zalec"].last_error is not None else None


async def test_the_towns_own_feed_is_signed_and_k_safe(celje: tuple[Harness, str]) -> None:
    bot, base = celje
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base}/api/network/aggregates.json") as r,
    ):
        assert r.status == 200 and r.content_type == "application/json"
        feed = json.loads(await r.read())
    assert schema_errors(feed) == []
    public = keys.load_private(bot.settings.network_key_file).public_key()
    assert feed["signature"]["key_id"] == keys.key_id(public)
    [survey] = feed["payload"]["surveys"]
    [question] = [q for q in survey["questions"] if q["code"] == "intention"]
    # 2 unsure are under k: hidden, and so is the smallest cell that would give them away.
    assert question["counts"] == {"definitely_stay": 10, "probably_stay": 0, "definitely_leave": 0}
    assert question["headline"]["count"] == 10 and question["total"] == 18
    for q in survey["questions"]:
        assert all(n == 0 or n >= 5 for n in q["counts"].values()), q
