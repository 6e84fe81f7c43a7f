"""Digests reach the coordinators' channel after every N responses and on /digest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from tests.support.harness import ADMIN_ID, Harness, eventually, onboard, running_bot, seed_resident
from tests.support.surveys import answer_survey

GROUP = -1007001


@pytest.fixture
async def digestbot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    emulator.add_group(GROUP, "Koordinatorji")
    async with running_bot(
        emulator, sqlite_url, coordinator_chat_id=GROUP, digest_every=5, digest_schedule=""
    ) as harness:
        yield harness


def posted(bot: Harness) -> list:  # type: ignore[type-arg]
    return [m for m in bot.emulator.chat(GROUP).messages.values() if m.from_bot]


async def test_digest_after_every_n_responses_and_on_demand(digestbot: Harness) -> None:
    bot = digestbot
    await bot.services.surveys.rounds.open(1, "stay_or_leave")
    for i in range(5):
        user = await seed_resident(bot, 1200 + i, f"R{i}", "sl")
        await answer_survey(bot, user.id, anonymous=True)
    await eventually(lambda: len(posted(bot)) == 2)  # the text and the chart
    text, chart = posted(bot)
    assert text.text.startswith("📊 Povzetek: Ostati ali oditi?, 1. krog")
    assert "5 izpolnjenih anket" in text.text
    assert "Odšel/odšla bom" not in text.text or "•" in text.text
    assert chart.photo is not None and chart.photo.data.startswith(b"\x89PNG")
    assert chart.caption == "📊 Ključni odgovori v odstotkih"
    # A resident may not ask for it; a coordinator may, at any time.
    nosy = await seed_resident(bot, 1299, "Nik", "sl")
    await nosy.send("/povzetek")
    assert "le koordinatorji" in nosy.last.text
    await bot.services.roles.grant(ADMIN_ID, 1300, Role.COORDINATOR)
    coord = bot.user(1300, "Katja", "sl")
    await onboard(coord, topics=())
    await coord.send("/povzetek")
    assert "na poti v kanal koordinatorjev" in coord.last.text
    await eventually(lambda: len(posted(bot)) >= 4)
    assert "+0 od zadnjega povzetka" in posted(bot)[2].text
