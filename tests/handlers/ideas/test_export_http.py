"""The ideas export over HTTP: a staff token, a zip, an audit entry."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.emulator import BotAPIEmulator
from bot.services.audit import recent_entries
from bot.services.ideas.types import IdeaStep
from tests.support.harness import Harness, running_bot, seed_resident


@pytest.fixture
async def webbot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_bot(emulator, sqlite_url, http_port=0) as harness:
        yield harness


async def test_ideas_zip_over_http_needs_a_token(webbot: Harness) -> None:
    bot = webbot
    await seed_resident(bot, 801, "Ana", "sl")
    ideas = bot.services.ideas
    draft, _ = await ideas.start(801, "sl")
    await ideas.set_text(801, draft.id, "Pitniki v parku")
    await ideas.set_text(801, draft.id, "Več pitnikov ob sprehajalnih poteh.")
    await ideas.choose(801, draft.id, IdeaStep.TOPIC, "mobility")
    await ideas.choose(801, draft.id, IdeaStep.MUNICIPALITY, "celje")
    await ideas.set_photo(801, draft.id, None)
    await ideas.submit(801, draft.id)
    assert bot.runtime is not None and bot.runtime.web is not None
    url = f"http://127.0.0.1:{bot.runtime.web.port}/api/exports/ideas.zip"
    _, token = await bot.services.tokens.create("analysis laptop")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 401
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/zip"
            body = await response.read()
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert "Pitniki v parku" in bundle.read("ideas.csv").decode("utf-8-sig")
    [entry] = await recent_entries(bot.services.sessions, "ideas.export")
    assert entry.details["route"] == "http" and entry.details["ideas"] == 1
