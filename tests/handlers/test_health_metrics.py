"""/healthz, /readyz and /metrics on the bot's own HTTP server."""

from __future__ import annotations

import aiohttp
import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from bot.emulator import BotAPIEmulator
from tests.support.harness import POSTGRES_ADMIN_DSN, running_bot, seed_resident


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_health_readiness_and_metrics(emulator: BotAPIEmulator, postgres_url: str) -> None:
    async with running_bot(emulator, postgres_url, http_port=0) as bot:
        assert bot.runtime is not None and bot.runtime.web is not None
        base = f"http://127.0.0.1:{bot.runtime.web.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200 and (await response.json())["status"] == "ready"
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 200
                before = samples(await response.text())
            ana = await seed_resident(bot, 1401, "Ana", "sl")
            await ana.send("/pomoc")
            await ana.send("kar nekaj")
            await ana.click("⚙️ Nastavitve")
            async with http.get(f"{base}/metrics") as response:
                after = samples(await response.text())
            assert after[("magnet_updates_total", (("type", "command"),))] >= 1
            assert after[("magnet_updates_total", (("type", "message"),))] >= 1
            assert after[("magnet_updates_total", (("type", "callback_query"),))] >= 1
            count = after[("magnet_update_seconds_count", ())]
            assert count >= before.get(("magnet_update_seconds_count", ()), 0) + 3
            assert ("magnet_outbox_depth", (("status", "pending"),)) in after
            assert ("magnet_blocked_residents", ()) in after
            # The database goes away: not ready, while the process is still alive.
            name = postgres_url.rsplit("/", 1)[1]
            admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
            try:
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            finally:
                await admin.close()
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 503
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
