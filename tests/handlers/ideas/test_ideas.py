"""Ideas end to end: write, moderate (approve, reject with a reason, edit), browse, support
and withdraw, the official answer reaching supporters; bad input at each step; restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Role
from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.services.audit import recent_entries
from tests.support.harness import ADMIN_ID, Harness, eventually, running_bot, seed_resident
from tests.support.labs import insert_lab

GROUP = -100700
COORDINATOR = 500
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


@pytest.fixture
async def bot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    emulator.add_group(GROUP, "Koordinatorji")
    async with running_bot(emulator, sqlite_url, coordinator_chat_id=GROUP) as harness:
        yield harness


def group_messages(bot: Harness) -> list:  # type: ignore[type-arg]
    chat = bot.emulator.chat(GROUP)
    return [m for _, m in sorted(chat.messages.items()) if m.from_bot]


async def coordinator(bot: Harness, language: str = "en") -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    return await seed_resident(bot, COORDINATOR, "Katja", language)


async def write_idea(
    user: EmulatedUser, title: str, text: str, *, photo: bool = False, en: bool = True
) -> None:
    await user.send("/idea" if en else "/ideja")
    await user.send(title)
    await user.send(text)
    await user.click("Sustainable mobility" if en else "Trajnostna mobilnost")
    await user.click("Celje")
    if photo:
        await user.send_photo(PNG)
    else:
        await user.click("Skip the photo" if en else "Brez fotografije")


def last_answer(bot: Harness) -> str:
    answers = [a for a in bot.emulator.callback_answers.values() if a is not None]
    return str(answers[-1].get("text") or "")


async def moderation_card(bot: Harness, contains: str):  # type: ignore[no-untyped-def]
    def found():  # type: ignore[no-untyped-def]
        cards = [m for m in group_messages(bot) if contains in (m.text or m.caption or "")]
        return cards[-1] if cards else None

    return await eventually(found)


async def test_an_idea_from_draft_to_answer_in_english(bot: Harness) -> None:
    dan = await seed_resident(bot, 601, "Dan", "en")
    eve = await seed_resident(bot, 602, "Eve", "en")
    coord = await coordinator(bot)

    await write_idea(dan, "Bike lanes on Mariborska", "A protected bike lane from the station.")
    assert "Preview" in dan.messages[-3].text
    assert "Bike lanes on Mariborska" in dan.messages[-2].text
    assert "Sustainable mobility · Celje" in dan.messages[-2].text
    await dan.click("📨 Submit")
    assert "with the coordinators" in dan.last.text

    card = await moderation_card(bot, "Bike lanes on Mariborska")
    # A resident who is not a coordinator cannot moderate, even with the button in hand.
    await eve.click("✅ Odobri", card)
    assert "only coordinators" in last_answer(bot)
    await coord.click("✅ Odobri", card)
    await dan.wait_for_message("has been published")
    assert not group_messages(bot)[-2].buttons  # the card keeps no buttons once decided
    assert "Idea #1 is published" in group_messages(bot)[-1].text
    # A second press (another coordinator, or a double tap) is refused politely.
    await coord.click("✅ Odobri", card, data="ideamod:v1:approve:1")
    assert "already decided" in last_answer(bot)

    await eve.send("/ideas")
    assert "Bike lanes on Mariborska" in eve.last.text and "0 supports" in eve.last.text
    await eve.click("1. Bike lanes on Mariborska")
    await eve.click("👍 Support")
    assert "1 support" in eve.last.text
    await eve.click("↩️ Withdraw my support")
    assert "0 supports" in eve.last.text
    await eve.click("👍 Support")

    # The coordinator answers: taken to a lab; the author and the supporter hear of it.
    lab_id = await insert_lab(bot.services.sessions, starts=datetime.now(UTC) + timedelta(days=3))
    await coord.send("/ideas")
    await coord.click("1. Bike lanes on Mariborska")
    await coord.click("📝 Official answer and status")
    await coord.click("Taken to a lab")
    await coord.click(f"#{lab_id}")
    await coord.send("We will work on it at the housing lab.")
    assert "2 people are being told" in coord.last.text
    await eve.wait_for_message("News about an idea")
    await dan.wait_for_message("News about an idea")
    assert "Taken to a lab" in eve.last.text and "Affordable housing" in eve.last.text
    [entry] = await recent_entries(bot.services.sessions, "idea.answer")
    assert entry.details["told"] == 2 and entry.details["lab"] == lab_id
