"""Ideas end to end: write, moderate (approve, reject with a reason, edit), browse, support
and withdraw, the official answer reaching supporters; bad input at each step; restarts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain import Role
from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.services.audit import recent_entries
from storage.models import Idea, IdeaSupport
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
    await eve.click("👍", card, data="idea:v1:support:1")  # a resident's button, in a group
    assert "private chat" in last_answer(bot)
    await coord.click("✅ Odobri", card, data="ideamod:v1:approve:99999999999999")  # too large
    assert last_answer(bot) == "This button is no longer valid."
    await coord.click("✅ Odobri", card, data="ideamod:v1:approve:42")  # no such idea
    assert "couldn't find that idea" in last_answer(bot)
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


async def test_writing_an_idea_in_slovenian_refuses_bad_input_at_each_step(bot: Harness) -> None:
    newcomer = bot.user(610, "Nina", "sl")
    await newcomer.send("/ideja")  # no consent yet: onboarding comes first, nothing is stored
    assert any("Najprej dokončajmo" in (m.text or "") for m in newcomer.messages)
    async with bot.services.sessions() as session:
        assert (await session.execute(select(Idea))).first() is None

    ana = await seed_resident(bot, 611, "Ana", "sl")
    await ana.send("/ideja")
    assert "Pošljite kratek naslov (največ 100 znakov)" in ana.last.text
    await ana.send_photo(PNG)  # a photo where the title is expected
    assert "napišite to kot besedilno sporočilo" in ana.messages[-2].text
    await ana.send("   ")
    assert "Besedilo je prazno" in ana.last.text
    await ana.send("😀" * 51)  # 51 characters, 102 units as Telegram counts them
    assert "največ 100 znakov, vaše besedilo pa jih ima 102" in ana.last.text
    await ana.send("Več klopi v parku")

    await bot.restart()  # the half-written idea is in the database, not in memory
    await ana.send("x" * 1001)
    assert "največ 1000 znakov, vaše besedilo pa jih ima 1001" in ana.last.text
    await ana.send("Ob Savinji naj bo več klopi in senc za starejše.")
    await ana.send("Energija")  # typed where a theme button is expected
    assert "izberite eno od spodnjih možnosti" in ana.messages[-2].text
    await ana.click("Trajnostna mobilnost", data="idea:v1:topic:1:nonsense")  # forged
    assert last_answer(bot) == "Ta gumb ni več veljaven."
    await ana.click("Trajnostna mobilnost")
    await ana.click("Prebold")
    await ana.send_photo(PNG)
    preview = ana.messages[-2]
    assert preview.photo is not None and "Več klopi v parku" in preview.caption
    assert "Trajnostna mobilnost · Prebold" in preview.caption
    await ana.click("📨 Oddaj")
    assert "Vaša ideja je pri koordinatorjih" in ana.last.text
    await ana.click("📨 Oddaj", ana.messages[-2], data="idea:v1:submit:1")  # a second tap
    assert last_answer(bot) == "Ta gumb ni več veljaven."

    # The coordinator rejects it with a reason, typed in a private chat.
    coord = await coordinator(bot, "sl")
    card = await moderation_card(bot, "Več klopi v parku")
    assert card.photo is not None
    await coord.click("✖ Zavrni", card)
    assert "Zakaj ideje št. 1 »Več klopi v parku« ne boste objavili?" in coord.last.text
    await coord.send_photo(PNG)
    assert "napišite to kot besedilno sporočilo" in coord.last.text
    await coord.send("Klopi ob Savinji že postavlja občina.")
    assert "Ideja št. 1 je zavrnjena" in coord.last.text
    told = await ana.wait_for_message("ni bila objavljena")
    assert "Razlog koordinatorjev: Klopi ob Savinji že postavlja občina." in told.text
    await ana.send("/ideje")
    assert "Tu še ni idej" in ana.last.text
    await ana.click("Moje ideje")
    assert "#1 Več klopi v parku · ni objavljena" in ana.last.text


async def test_an_edited_idea_supported_then_forgotten(bot: Harness) -> None:
    from tests.support.scan import find_traces

    ana = await seed_resident(bot, 621, "Ana", "sl")
    ben = await seed_resident(bot, 622, "Ben", "en")
    coord = await coordinator(bot, "sl")
    await write_idea(ana, "Kolesarnca pri postaji", "Pokrita kolesarnica za 50 koles.", en=False)
    await ana.click("📨 Oddaj")
    card = await moderation_card(bot, "Kolesarnca pri postaji")
    await coord.click("✏️ Uredi", card)
    await coord.click("Naslov")
    assert "Zdaj se glasi:\n\nKolesarnca pri postaji" in coord.last.text
    await coord.send("Kolesarnica pri postaji")
    fixed = coord.last
    assert "Kolesarnica pri postaji" in fixed.text
    await coord.click("✅ Odobri", fixed)
    await ana.wait_for_message("je objavljena")

    await ben.send("/ideas")
    await ben.click("Theme…")
    await ben.click("Energy communities")
    assert "No ideas here yet" in ben.last.text
    await ben.click("Sort: most supported")
    await ben.click("Theme…")
    await ben.click("Sustainable mobility")
    await ben.click("1. Kolesarnica pri postaji")
    await ben.click("👍 Support")
    await ana.send("/ideje")
    await ana.click("1. Kolesarnica pri postaji")
    assert "1 podpora" in ana.last.text
    assert "Podpri" not in str(ana.last.buttons)  # no supporting one's own idea

    # Not feasible, with a reason: the author hears it in Slovenian, the supporter in English.
    await coord.send("/ideje")
    await coord.click("1. Kolesarnica pri postaji")
    await coord.click("📝 Uradni odgovor in stanje")
    await coord.click("Ni izvedljiva")
    assert "Pojasnite, zakaj ideja št. 1 ni izvedljiva" in coord.last.text
    await coord.send("Zemljišče ni občinsko.")
    assert "Obveščamo 2 osebi." in coord.last.text
    told = await ana.wait_for_message("Novica o ideji")
    assert "Stanje: Ni izvedljiva" in told.text and "Zemljišče ni občinsko." in told.text
    told = await ben.wait_for_message("News about an idea")
    assert "Status: Not feasible" in told.text

    await ana.send("/moji_podatki")
    data = json.loads(ana.last.document.data)
    [written] = data["ideas_written"]
    assert written["title"] == "Kolesarnica pri postaji" and written["status"] == "published"
    await ben.send("/mydata")
    data = json.loads(ben.last.document.data)
    assert [s["title"] for s in data["ideas_supported"]] == ["Kolesarnica pri postaji"]

    await ben.send("/forget")
    await ben.click("🗑 Yes, erase everything")
    async with bot.services.sessions() as session:
        assert (await session.execute(select(IdeaSupport))).first() is None
    await ana.send("/pozabi")
    await ana.click("🗑 Da, izbriši vse")
    async with bot.services.sessions() as session:
        idea = (await session.execute(select(Idea))).scalar_one()
    assert idea.author_id is None and idea.status == "published"  # it stays, unlinked
    assert await find_traces(bot.services.sessions, [str(ana.id), "Ana", str(ben.id)]) == []


async def test_a_long_idea_with_a_photo_is_shown_whole(bot: Harness) -> None:
    """Past a caption's 1,024 units the photo goes first and the text follows, uncut."""
    dan = await seed_resident(bot, 631, "Dan", "en")
    text = ("A shaded square with benches, water and trees for the hot summers. " * 15)[:1000]
    await write_idea(dan, "A square for the summer", text, photo=True)
    photo, card, submit = dan.messages[-3:]
    assert photo.photo is not None and not photo.caption
    assert text.strip() in card.text and "A square for the summer" in card.text
    assert "📨 Submit" in str(submit.buttons)
