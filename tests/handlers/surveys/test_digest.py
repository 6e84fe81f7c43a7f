"""Digests reach the coordinators' channel after every N responses; /povzetek (/digest) shows
the decision views as buttons, to coordinators and staff only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain import Role
from bot.emulator import BotAPIEmulator, EmulatedUser
from tests.bot.services.surveys.test_views import fixture_survey
from tests.support.harness import ADMIN_ID, Harness, eventually, onboard, running_bot, seed_resident
from tests.support.surveys import answer_survey, seed_completed

GROUP = -1007001
# The first view of a process loads statsmodels, scipy and matplotlib: seconds on a busy machine.
SLOW = 90.0
CODE = "stay_or_leave"


@pytest.fixture
async def digestbot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    emulator.add_group(GROUP, "Koordinatorji")
    async with running_bot(
        emulator, sqlite_url, coordinator_chat_id=GROUP, digest_every=5, digest_schedule=""
    ) as harness:
        yield harness


def posted(bot: Harness) -> list:  # type: ignore[type-arg]
    return [m for m in bot.emulator.chat(GROUP).messages.values() if m.from_bot]


def alerts(user: EmulatedUser) -> list[str]:
    return [e.text for e in user.events() if e.kind == "callback_answer"]


def photos(user: EmulatedUser) -> list[Any]:
    return [m for m in user.messages if m.photo is not None]


async def test_digest_after_every_n_responses(digestbot: Harness) -> None:
    bot = digestbot
    await bot.services.surveys.rounds.open(1, CODE)
    for i in range(5):
        user = await seed_resident(bot, 1200 + i, f"R{i}", "sl")
        await answer_survey(bot, user.id, anonymous=True)
    await eventually(lambda: len(posted(bot)) >= 1)
    text = posted(bot)[0]
    assert text.text.startswith("📊 Povzetek: Ostati ali oditi?, 1. krog")
    assert "5 izpolnjenih anket" in text.text
    for chart in posted(bot)[1:]:
        assert chart.photo is not None and chart.photo.data.startswith(b"\x89PNG")


async def two_rounds(bot: Harness) -> None:
    """Round 1 and round 2 of the survey, answered with a definition that declares roles."""
    survey = fixture_survey()
    rounds = bot.services.surveys.rounds
    await rounds.open(ADMIN_ID, CODE)
    go = {"plans": "go", "why_go": ["flats", "wages"], "mood": 2}
    stay = {"plans": "stay", "why_stay": ["family", "nature"], "mood": 4}
    maybe = {"plans": "maybe", "why_go": ["buses", "flats"], "mood": 3}
    first = [("celje", "25_34", stay)] * 6 + [("celje", "18_24", go)] * 8
    stays = {**stay, "why_stay": ["nature"], "mood": 5}
    first += [("prebold", "25_34", stays)] * 4 + [("prebold", "18_24", go)] * 6
    await seed_completed(bot.services.sessions, CODE, survey, first)
    await rounds.close(ADMIN_ID, CODE)
    await rounds.open(ADMIN_ID, CODE)
    second = [("celje", "25_34", stay)] * 12 + [("celje", "18_24", go)] * 5
    second += [("celje", "35_49", maybe)] * 2 + [("prebold", "25_34", stays)] * 6
    second += [("prebold", "18_24", go)] * 5 + [("savinjska", "35_49", maybe)] * 3
    second += [("savinjska", "50_64", stay)] * 2
    await seed_completed(bot.services.sessions, CODE, survey, second)


async def coordinator(bot: Harness, user_id: int, name: str, locale: str) -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, user_id, Role.COORDINATOR)
    user = bot.user(user_id, name, locale)
    await onboard(user, topics=())
    user.timeout = SLOW
    return user


async def test_povzetek_offers_the_views_as_buttons_in_slovenian(digestbot: Harness) -> None:
    bot = digestbot
    await two_rounds(bot)
    katja = await coordinator(bot, 1300, "Katja", "sl")
    await katja.send("/povzetek")
    overview = katja.last
    assert overview.text.startswith("📊 Ostati ali oditi? (preskus), 2. krog: Pregled")
    assert "35 izpolnjenih anket" in overview.text
    assert "Ali nameravate ostati?" in overview.text
    assert "ostali bodo: 57 %" in overview.text
    assert "Od 2. kroga" not in overview.text and "Od 1. kroga: +" in overview.text
    assert "Odstotki niso uteženi" in overview.text
    assert photos(katja)[-1].caption == "📊 Pregled"
    for label in ("· Pregled ·", "Po občinah", "Po starostnih skupinah", "Gibanje"):
        katja.find_button(label, overview)
    await katja.click("Po občinah")
    places = katja.last
    assert places.text.startswith("📊 Ostati ali oditi? (preskus), 2. krog: Po občinah")
    assert "• Celje (19)" in places.text and "• Prebold (11)" in places.text
    assert photos(katja)[-1].caption == "📊 Po občinah"
    assert photos(katja)[-1].photo.data.startswith(b"\x89PNG")
    assert not katja.messages[-3].reply_markup  # the old view's buttons are gone
    await katja.click("Gibanje")
    assert "Od 1. kroga: +" in katja.last.text and "95-odstotni interval" in katja.last.text
    await katja.click("Kaj odganja, kaj zadržuje")
    reasons = katja.last.text
    assert "Najpogostejši razlogi, da ljudje odidejo" in reasons and "Plače: 67 %" in reasons
    # Every one of the 15 who might or will leave named housing: that is not shown.
    assert "Stanovanja:" not in reasons
    assert "Najpogostejši razlogi, da ljudje ostanejo" in reasons and "Družina: 70 %" in reasons
    # Celje, 2 people who "might leave": never shown on their own.
    assert "(2)" not in places.text
    # The digest itself goes to the coordinators' channel on request.
    await katja.click("📤 Pošlji povzetek v kanal")
    assert "na poti v kanal koordinatorjev" in katja.last.text
    await eventually(lambda: any(m.photo is not None for m in posted(bot)))
    digest = next(m for m in posted(bot) if m.text)
    assert digest.text.startswith("📊 Povzetek: Ostati ali oditi? (preskus), 2. krog")
    assert "Od 1. kroga" in digest.text and "Celje" in digest.text and "Prebold" in digest.text


async def test_digest_views_in_english_and_for_staff(digestbot: Harness) -> None:
    bot = digestbot
    await two_rounds(bot)
    sam = await seed_resident(bot, 1400, "Sam", "en")
    await bot.services.roles.grant(ADMIN_ID, 1400, Role.STAFF)
    sam.timeout = SLOW
    await sam.send("/digest")
    assert sam.last.text.startswith("📊 Stay or leave? (test), round 2: Overview")
    assert "will stay: 57 %" in sam.last.text and "Since round 1: +" in sam.last.text
    charts = len(photos(sam))
    await sam.click("By age group")
    assert "round 2: By age group" in sam.last.text
    # In these rounds each age band answered alike (18-24 leave, 25-34 stay): merged until
    # nothing telling is left, the breakdown is not shown, and there is no chart of it.
    assert "Not shown: too few people, or answers so alike" in sam.last.text
    assert len(photos(sam)) == charts
    await sam.click("Trend")
    assert "A change is called clear only when" in sam.last.text


async def test_digest_views_refuse_residents_and_forged_buttons(digestbot: Harness) -> None:
    bot = digestbot
    await two_rounds(bot)
    nosy = await seed_resident(bot, 1299, "Nik", "sl")
    await nosy.send("/povzetek")
    assert "le koordinatorji in uslužbenci" in nosy.last.text
    # A resident who forges a view button is refused the same way.
    await nosy.click("x", nosy.last, data="digest:v1:view:places:2")
    assert "le koordinatorji in uslužbenci" in nosy.last.text
    assert not photos(nosy)
    katja = await coordinator(bot, 1300, "Katja", "sl")
    await katja.send("/povzetek")
    before = len(katja.messages)
    for forged in ("digest:v1:view:secrets:2", "digest:v1:view:places:99", "digest:v1:view:places"):
        await katja.click("x", katja.last, data=forged)
        assert alerts(katja)[-1] == "Ta gumb ni več veljaven."
    assert len(katja.messages) == before  # nothing sent for a forged button
    # A view of round 1 (an older round) is still there to see.
    await katja.click("x", katja.last, data="digest:v1:view:overview:1")
    assert katja.last.text.startswith("📊 Ostati ali oditi? (preskus), 1. krog: Pregled")
    assert "To je prvi krog" not in katja.last.text


async def test_povzetek_before_any_round(digestbot: Harness) -> None:
    bot = digestbot
    katja = await coordinator(bot, 1300, "Katja", "sl")
    await katja.send("/povzetek")
    assert "noben krog ankete še ni bil odprt" in katja.last.text
