"""Webhook mode: updates pushed by the Bot API with the secret are answered; wrong or missing
secrets, other content types, oversized or malformed bodies are refused and not processed."""

from __future__ import annotations

import io
import json
import socket

import aiohttp

from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.runtime import BotRuntime
from tests.support.harness import make_settings

SECRET = "s3cret_Token-for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fake_update(update_id: int, user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1795300000,
            "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_mode(emulator: BotAPIEmulator, sqlite_url: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = make_settings(
        emulator, sqlite_url, http_port=port, webhook_url=url, webhook_secret=SECRET
    )
    runtime = BotRuntime(settings, on_update_done=emulator.mark_processed, webhook=True)
    await runtime.start()
    try:
        assert emulator.webhook is not None and emulator.webhook["url"] == url
        assert emulator.webhook["secret_token"] == SECRET
        ana = EmulatedUser(emulator, 1501, "Ana", "sl")
        replies = await ana.send("/start")
        assert replies[0].text.startswith("Pozdravljeni, Ana!")
        assert not emulator.requests.get("getUpdates")  # never polled
        mallory = 1666
        body = json.dumps(fake_update(900001, mallory))
        async with aiohttp.ClientSession() as http:
            for headers, status in (
                ({}, 403),
                ({"X-Telegram-Bot-Api-Secret-Token": "guess"}, 403),
                ({"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}, 403),
            ):
                headers["Content-Type"] = "application/json"
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == status
            good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(
                url, data=body, headers={**good, "Content-Type": "text/plain"}
            ) as response:
                assert response.status == 415
            async with http.post(
                url, data="{not json", headers={**good, "Content-Type": "application/json"}
            ) as response:
                assert response.status == 400
            huge = io.BytesIO(
                json.dumps({"update_id": 1, "padding": "x" * (2 * 1024 * 1024)}).encode()
            )
            async with http.post(
                url, data=huge, headers={**good, "Content-Type": "application/json"}
            ) as response:
                assert response.status == 413
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            assert not emulator.chats.get(mallory) or not [
                m for m in emulator.chat(mallory).messages.values() if m.from_bot
            ]
            # With the secret, the request is answered only once the update was handled (the
            # reply is already out), so Telegram keeps one chat's updates in order.
            eve = 1667
            emulator.add_user(eve, "Eve", "en")
            async with http.post(
                url,
                data=json.dumps(fake_update(900002, eve)),
                headers={**good, "Content-Type": "application/json"},
            ) as response:
                assert response.status == 200
                assert [m for m in emulator.chat(eve).messages.values() if m.from_bot]
        # The Bot API sends at most this many requests at once.
        assert emulator.webhook["max_connections"] == 40
    finally:
        await runtime.stop()


def test_webhook_mode_needs_its_settings(emulator: BotAPIEmulator, sqlite_url: str) -> None:
    import pytest

    from bot.config import ConfigError

    settings = make_settings(emulator, sqlite_url)
    with pytest.raises(ConfigError, match="MAGNET_WEBHOOK_URL"):
        BotRuntime(settings, webhook=True)


async def test_json_log_lines_carry_the_update_and_a_pseudonym(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    import logging

    from bot.logs import JsonFormatter
    from tests.support.harness import running_bot, seed_resident

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        async with running_bot(emulator, sqlite_url) as bot:
            ana = await seed_resident(bot, 1701, "Ana", "sl")
            await ana.send("/nova_delavnica")  # refused, and logged
            resident = await bot.services.residents.get(ana.id)
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = [line for line in lines if "without the coordinator role" in line["message"]]
    assert refused and refused[0]["resident"] == resident.id
    assert isinstance(refused[0]["update_id"], int)
    assert "/nova_delavnica" not in stream.getvalue()  # no resident's text in the log


async def test_webhook_answers_malformed_and_repeated_updates_at_once(
    emulator: BotAPIEmulator, sqlite_url: str, caplog
) -> None:  # type: ignore[no-untyped-def]
    """Telegram sends an update again until it gets a 2xx: a malformed one is answered (and
    logged) instead of failing forever, and a repeated one is handled once and never waits."""
    import asyncio
    import logging
    import time

    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = make_settings(
        emulator, sqlite_url, http_port=port, webhook_url=url, webhook_secret=SECRET
    )
    runtime = BotRuntime(settings, on_update_done=emulator.mark_processed, webhook=True)
    await runtime.start()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    try:
        async with aiohttp.ClientSession() as http:

            async def post(data: object) -> tuple[int, float]:
                began = time.perf_counter()
                async with http.post(url, data=json.dumps(data), headers=headers) as response:
                    return response.status, time.perf_counter() - began

            with caplog.at_level(logging.WARNING):
                status, _ = await post({"update_id": 910001, "message": {"chat": "nonsense"}})
            assert status == 200
            assert "910001 could not be read" in caplog.text
            zoe = 1668
            emulator.add_user(zoe, "Zoe", "en")
            first, second = await asyncio.gather(
                post(fake_update(910002, zoe)), post(fake_update(910002, zoe))
            )
            assert first[0] == second[0] == 200 and max(first[1], second[1]) < 20

            def replies() -> list[str]:
                return [m.text or "" for m in emulator.chat(zoe).messages.values() if m.from_bot]

            assert len(replies()) == 2  # one /start: a greeting and the consent screen
            status, seconds = await post(fake_update(910002, zoe))  # after it was handled
            assert status == 200 and seconds < 5
            assert len(replies()) == 2
    finally:
        await runtime.stop()
