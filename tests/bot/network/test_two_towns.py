"""Two towns, each its own `magnet-bot run` process with its own database, settings, key and
emulated Telegram, exchange their signed feeds on loopback: the comparison reaches Celje's
weekly digest, and a third "town" whose feed was altered after signing is refused and logged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from bot.app import open_services
from bot.config import load_settings
from bot.emulator import BotAPIEmulator, RateLimits
from bot.services.network import keys
from bot.services.network.feed import schema_errors, sign_feed
from storage.models import NetworkFeed
from tests.support.cli import cli_env, run_cli
from tests.support.harness import eventually
from tests.support.replicas import Replica, free_port, start_replica
from tests.support.surveys import seed_completed

CODE = "stay_or_leave"
GROUP = -1008001
SLOW = 180.0  # two bots start and load the survey views' libraries on two shared cores
STAY = {"lives": "celje", "intention": "definitely_stay"}
PROBABLY = {"lives": "prebold", "intention": "probably_stay"}
LEAVE = {"lives": "celje", "intention": "probably_leave"}
UNSURE = {"lives": "prebold", "intention": "dont_know"}


async def _seed(url: str, answers: list[dict[str, str]], *, open_round: bool) -> None:
    services = await open_services(load_settings(database_url=url, auto_migrate=True))
    try:
        if open_round:
            await services.surveys.rounds.open(0, CODE)
        survey = services.surveys.shipped[CODE]
        await seed_completed(services.sessions, CODE, survey, [(None, None, a) for a in answers])
    finally:
        await services.engine.dispose()


async def _feeds(url: str) -> dict[str, NetworkFeed]:
    services = await open_services(load_settings(database_url=url))
    try:
        async with services.sessions() as session:
            return {f.peer_code: f for f in await session.scalars(select(NetworkFeed))}
    finally:
        await services.engine.dispose()


def _keygen(directory: Path, name: str) -> tuple[Path, str]:
    path = directory / f"{name}.key"
    done = run_cli("network", "keygen", "--out", str(path), env=cli_env(), cwd=directory)
    assert done.returncode == 0, done.stderr
    public = done.stdout.strip().splitlines()[-1]
    assert keys.public_text(keys.load_private(path).public_key()) == public
    return path, public


def _peers(path: Path, *entries: tuple[str, str, str, str]) -> Path:
    lines = ["peers:"]
    for code, name, url, public in entries:
        lines += [f"  - code: {code}", f"    name: {name}", f"    url: {url}"]
        lines.append(f"    public_key: {public}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class TamperedTown:
    """Žalec: serves Prebold's figures signed with its own key, then altered (one count up)."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.feed: dict[str, Any] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    def take(self, genuine: dict[str, Any]) -> None:
        payload = copy.deepcopy(genuine["payload"])
        payload["town"] = {"code": "zalec", "name": "Žalec"}
        feed = sign_feed(payload, self.key)
        feed["payload"]["surveys"][0]["questions"][0]["headline"]["count"] += 3
        self.feed = feed

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/network/aggregates.json", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def _serve(self, request: web.Request) -> web.Response:
        if self.feed is None:
            return web.Response(status=503)
        return web.json_response(self.feed)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _get_feed(town: Replica) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{town.port}/api/network/aggregates.json") as response,
    ):
        assert response.status == 200
        return json.loads(await response.read())


def _digests(emulator: BotAPIEmulator) -> list[str]:
    chat = emulator.chats.get(GROUP)
    if chat is None:
        return []
    return [m.text for m in chat.messages.values() if m.from_bot and m.text]


async def test_two_towns_compare_in_the_digest_and_refuse_a_tampered_feed(
    tmp_path: Path,
) -> None:
    celje_dir, prebold_dir = tmp_path / "celje", tmp_path / "prebold"
    celje_dir.mkdir()
    prebold_dir.mkdir()
    celje_key, celje_public = _keygen(celje_dir, "celje")
    prebold_key, prebold_public = _keygen(prebold_dir, "prebold")
    celje_db = f"sqlite+aiosqlite:///{celje_dir / 'bot.sqlite3'}"
    prebold_db = f"sqlite+aiosqlite:///{prebold_dir / 'bot.sqlite3'}"
    # Celje: 10 of 21 intend to stay (4 short of a digest); Prebold: 12 of 20.
    await _seed(celje_db, [STAY] * 10 + [LEAVE] * 6 + [UNSURE] * 5, open_round=True)
    await _seed(prebold_db, [PROBABLY] * 8 + [STAY] * 4 + [LEAVE] * 8, open_round=True)
    zalec = TamperedTown()
    await zalec.start()
    celje_port, prebold_port = free_port(), free_port()
    feed_url = "http://127.0.0.1:{}/api/network/aggregates.json"
    async with (
        BotAPIEmulator("7001:CELJE-TOKEN", limits=RateLimits()) as celje_telegram,
        BotAPIEmulator("7002:PREBOLD-TOKEN", limits=RateLimits()) as prebold_telegram,
    ):
        celje_telegram.add_group(GROUP, "Koordinatorji Celje")
        common = {
            "webhook": False,
            "webhook_url": "",
            "MAGNET_SCHEDULER_SECONDS": "0.3",
            "MAGNET_DIGEST_SCHEDULE": "",
            "MAGNET_NETWORK_FETCH_MINUTES": "0.02",
        }
        celje = await start_replica(
            "celje",
            directory=celje_dir,
            token=celje_telegram.token,
            api_url=celje_telegram.base_url,
            database_url=celje_db,
            port=celje_port,
            MAGNET_DEFAULT_LOCALE="en",
            MAGNET_COORDINATOR_CHAT_ID=str(GROUP),
            MAGNET_DIGEST_EVERY="25",
            MAGNET_NETWORK_TOWN_CODE="celje",
            MAGNET_NETWORK_TOWN_NAME="Celje",
            MAGNET_NETWORK_KEY_FILE=str(celje_key),
            MAGNET_NETWORK_PEERS_FILE=str(
                _peers(
                    celje_dir / "peers.yaml",
                    ("prebold", "Prebold", feed_url.format(prebold_port), prebold_public),
                    (
                        "zalec",
                        "Žalec",
                        feed_url.format(zalec.port),
                        keys.public_text(zalec.key.public_key()),
                    ),
                )
            ),
            **common,  # type: ignore[arg-type]
        )
        prebold = await start_replica(
            "prebold",
            directory=prebold_dir,
            token=prebold_telegram.token,
            api_url=prebold_telegram.base_url,
            database_url=prebold_db,
            port=prebold_port,
            MAGNET_DIGEST_EVERY="0",
            MAGNET_NETWORK_TOWN_CODE="prebold",
            MAGNET_NETWORK_TOWN_NAME="Prebold",
            MAGNET_NETWORK_KEY_FILE=str(prebold_key),
            MAGNET_NETWORK_PEERS_FILE=str(
                _peers(
                    prebold_dir / "peers.yaml",
                    ("celje", "Celje", feed_url.format(celje_port), celje_public),
                )
            ),
            **common,  # type: ignore[arg-type]
        )
        try:
            await celje.ready(SLOW)
            await prebold.ready(SLOW)
            genuine = await _get_feed(prebold)
            assert schema_errors(genuine) == []
            assert genuine["payload"]["town"] == {"code": "prebold", "name": "Prebold"}
            [question] = [
                q for q in genuine["payload"]["surveys"][0]["questions"] if q["code"] == "intention"
            ]
            assert question["headline"]["count"] == 12 and question["total"] == 20
            zalec.take(genuine)

            taken = "network feed of peer prebold taken"
            refused = "network feed of peer zalec rejected: signature"
            await eventually(lambda: taken in celje.log and refused in celje.log, SLOW)
            await eventually(lambda: "network feed of peer celje taken" in prebold.log, SLOW)
            feeds = await _feeds(celje_db)
            assert feeds["prebold"].body is not None and feeds["prebold"].last_error is None
            assert feeds["zalec"].body is None and feeds["zalec"].last_error == "signature"
            # The rejection names the peer and why, not the feed's address or its figures.
            line = next(x for x in celje.log.splitlines() if refused in x)
            assert str(zalec.port) not in line and '"count"' not in line

            # Four more responses make 25 in Celje: the digest is due, with the network in it.
            await _seed(celje_db, [STAY] * 4, open_round=False)
            digests = await eventually(
                lambda: [t for t in _digests(celje_telegram) if "Beside the other towns" in t],
                SLOW,
            )
            text = digests[0]
            # Celje 14 of 25 = 56 %, Prebold 12 of 20 = 60 %: the median of the two is 58 %.
            assert (
                "intend to stay: Celje (us) 56 % · network median 58 % (2 towns) · Prebold 60 %"
                in text
            )
            assert "Žalec" not in text
            assert not _digests(prebold_telegram)  # Prebold sends no digest of its own here
        finally:
            for town in (celje, prebold):
                await town.terminate()
            await zalec.stop()
