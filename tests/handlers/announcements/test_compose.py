"""Announcements end to end: compose, preview, send, schedule, cancel, quiet hours, faults."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.domain import Role
from bot.emulator import BotAPIEmulator, EmulatedUser, RateLimits
from bot.emulator.ratelimit import FloodControl
from bot.services.audit import recent_entries
from storage.models import Announcement, DeliveryAttempt, OutboxMessage
from tests.support.harness import ADMIN_ID, Harness, eventually, onboard, running_bot, seed_resident

COORDINATOR = 500


async def coordinator(bot: Harness) -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = bot.user(COORDINATOR, "Katja", "sl")
    await onboard(coord, topics=())  # a resident too: counted when the audience is everyone
    return coord


async def compose(
    coord: EmulatedUser,
    sl: str = "Delavnica o stanovanjih v četrtek!",
    en: str | None = "Housing lab on Thursday!",
    audience: tuple[str, ...] = ("Vsi",),
    urgent: bool = False,
) -> None:
    await coord.send("/obvesti")
    bold = sl.find("stanovanjih")
    await coord.send(sl, [{"type": "bold", "offset": bold, "length": 11}] if bold >= 0 else None)
    if en is None:
        await coord.click("Enako besedilo za oba jezika")
    else:
        await coord.send(en)
    await coord.click("Brez fotografije")
    await coord.click(audience[0])
    if len(audience) > 1:
        for value in audience[1:]:
            await coord.click(value)
        await coord.click("Končano ✔")
    if "nočnim mirom" in coord.last.text:  # asked only when there are quiet hours
        # The hours as Slovenian writes times (21.00–8.00), not the setting's 21:00-08:00.
        assert re.search(r"\((1?\d|2[0-3])\.\d\d–(1?\d|2[0-3])\.\d\d\)", coord.last.text)
        await coord.click("Da, nujno je" if urgent else "Ne, naj počaka do jutra")


def received(user: EmulatedUser, prefix: str) -> list:  # type: ignore[type-arg]
    """The bot's messages (or photo captions) to `user` that start with `prefix`."""
    return [m for m in user.messages if (m.text or m.caption or "").startswith(prefix)]


async def status_of(bot: Harness, announcement_id: int) -> str:
    async with bot.services.sessions() as session:
        return (await session.get(Announcement, announcement_id)).status


@pytest.fixture
async def town(bot: Harness) -> AsyncIterator[dict[str, EmulatedUser]]:
    """Three Slovenian and two English residents with different topics and municipalities."""
    yield {
        "ana": await seed_resident(bot, 601, "Ana", "sl", topics=("housing",)),
        "bojan": await seed_resident(
            bot, 602, "Bojan", "sl", municipality="prebold", topics=("energy",)
        ),
        "cvetka": await seed_resident(bot, 603, "Cvetka", "sl", topics=("housing", "culture")),
        "dan": await seed_resident(
            bot, 604, "Dan", "en", municipality="prebold", topics=("housing",)
        ),
        "emma": await seed_resident(bot, 605, "Emma", "en", municipality="prebold"),
    }


async def test_compose_preview_and_send_to_a_topic_in_both_languages(
    bot: Harness, town: dict[str, EmulatedUser]
) -> None:
    coord = await coordinator(bot)
    await compose(coord, audience=("Po temi", "Cenovno dostopna stanovanja"))
    # The preview shows both languages exactly as residents will see them.
    texts = [m.text for m in coord.messages[-5:]]
    assert (
        "Delavnica o stanovanjih v četrtek!\n\nTo sporočilo vam pošilja projekt MAGNET" in texts[1]
    )
    assert "Housing lab on Thursday!\n\nYou receive this from MAGNET" in texts[3]
    summary = coord.last
    assert "Ciljna skupina: teme: Cenovno dostopna stanovanja" in summary.text
    assert "Prejemniki: 3 prebivalci (v slovenščini: 2, v angleščini: 1)" in summary.text

    await coord.click("📣 Pošlji zdaj")
    report = coord.last
    [announcement] = await bot.services.announcements.sending.active()
    await eventually(lambda: status_of(bot, announcement.id), timeout=20)
    await eventually(
        lambda: (
            "poročilo o dostavi"
            in coord.emulator.chat(COORDINATOR).messages[report.message_id].text
        )
    )
    final = coord.emulator.chat(COORDINATOR).messages[report.message_id].text
    assert "✅ Dostavljeno: 3" in final and "🚫 Blokirali bota: 0" in final

    [ana_news] = received(town["ana"], "Delavnica")
    assert ana_news.text.startswith("Delavnica o stanovanjih v četrtek!")
    assert any(e["type"] == "bold" for e in ana_news.entities)  # the coordinator's formatting
    assert received(town["dan"], "Housing lab on Thursday!")
    assert received(town["cvetka"], "Delavnica o stanovanjih")
    # Not following housing: nothing new.
    assert not received(town["bojan"], "Delavnica")
    assert not received(town["emma"], "Housing lab")
    [entry] = await recent_entries(bot.services.sessions, "announcement.send")
    assert entry.actor_telegram_id == COORDINATOR and entry.details["recipients"] == 3


async def test_audiences_by_municipality_and_language(
    bot: Harness, town: dict[str, EmulatedUser]
) -> None:
    coord = await coordinator(bot)
    await compose(coord, sl="Prebold!", en=None, audience=("Po občini", "Prebold"))
    assert "3 prebivalci" in coord.last.text  # Bojan, Dan, Emma live in Prebold
    await coord.click("✖ Zavrzi")
    await compose(coord, sl="Samo angleško", en="English only", audience=("Po jeziku", "English"))
    assert "2 prebivalca (v slovenščini: 0, v angleščini: 2)" in coord.last.text
    assert "jezik: angleščina" in coord.last.text  # a language's name inside a sentence
    await coord.click("📣 Pošlji zdaj")
    # Both are sent; in which order they arrive depends on the pacing, not on the test.
    await eventually(
        lambda: received(town["emma"], "English only") and received(town["dan"], "English only")
    )
    assert not received(town["ana"], "Samo")


async def test_same_text_photo_and_compose_survive_a_restart(
    bot: Harness, town: dict[str, EmulatedUser]
) -> None:
    coord = await coordinator(bot)
    await coord.send("/announce")
    await coord.send("Odprta vrata v MiniHubu")
    await bot.restart()
    await coord.send("/obvesti")
    assert "Imate nedokončano obvestilo" in coord.messages[-2].text
    await coord.click("Enako besedilo za oba jezika")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (4).to_bytes(4, "big") + (3).to_bytes(4, "big")
    await coord.send_photo(png)
    assert coord.last.text == "Kdo naj ga prejme?"
    await coord.click("Vsi")
    await coord.click("📣 Pošlji zdaj")
    [photo] = await eventually(lambda: received(town["emma"], "Odprta vrata v MiniHubu"))
    assert photo.photo is not None and "You receive this from MAGNET" in photo.caption


async def test_schedule_list_cancel_and_release(
    bot: Harness, town: dict[str, EmulatedUser]
) -> None:
    coord = await coordinator(bot)
    await compose(coord, sl="Jutri zvečer", en="Tomorrow evening")
    await coord.click("🕒 Načrtuj")
    assert "Pošljite datum in uro" in coord.last.text
    for bad, reply in (
        ("kmalu", "Datuma in ure ne prepoznamo"),
        ("31. 2. 18:00", "Datuma in ure ne prepoznamo"),
        ("1. 1. 2020 10:00", "Ta trenutek je že minil"),
    ):
        replies = await coord.send(bad)
        assert reply in replies[0].text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(bot.settings.tz)
    replies = await coord.send(f"{tomorrow.day}. {tomorrow.month}. 18:00")
    assert "bo poslano" in replies[0].text and "18.00" in replies[0].text
    replies = await coord.send("/obvestila")
    assert "bo poslano" in replies[0].text and "Jutri zvečer" in replies[0].text
    first = (await bot.services.announcements.sending.active())[0]

    # A second one, whose time we then move into the past: the scheduler releases it.
    await compose(coord, sl="Zdaj", en="Now")
    await coord.click("🕒 Načrtuj")
    await coord.send(f"{tomorrow.day}. {tomorrow.month}. 19:00")
    second = (await bot.services.announcements.sending.active())[1]
    async with bot.services.sessions.begin() as session:
        await session.execute(
            update(Announcement)
            .where(Announcement.id == second.id)
            .values(scheduled_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await eventually(lambda: received(town["ana"], "Zdaj"))

    def report() -> str:
        texts = [m.text or "" for m in coord.messages]
        return next((t for t in texts if "poročilo o dostavi" in t), "")

    await eventually(report)
    assert "✅ Dostavljeno: 6" in report()  # five residents and the coordinator

    await coord.send("/obvestila")
    replies = await coord.click(f"✖ Prekliči št. {first.id}")
    assert any(
        e.kind == "callback_answer" and e.text == "Obvestilo je preklicano." for e in replies
    )
    assert await status_of(bot, first.id) == "cancelled"
    assert "Ni načrtovanih obvestil" in coord.last.text
    [entry] = await recent_entries(bot.services.sessions, "announcement.cancel")
    assert entry.subject == str(first.id)
    # A second press of the old button: politely refused.
    replies = await coord.click("✖", coord.last, data=f"announce:v1:cancel:{first.id}")
    assert any("ni več mogoče preklicati" in e.text for e in replies if e.kind == "callback_answer")


async def test_quiet_hours_hold_non_urgent_announcements(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    now = datetime.now(UTC).astimezone()
    start, end = (
        (now - timedelta(hours=1)).strftime("%H:%M"),
        (now + timedelta(hours=1)).strftime("%H:%M"),
    )
    from zoneinfo import ZoneInfo

    local = datetime.now(ZoneInfo("Europe/Ljubljana"))
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    async with running_bot(emulator, sqlite_url, quiet_hours=f"{start}-{end}") as bot:
        ana = await seed_resident(bot, 601, "Ana")
        coord = await coordinator(bot)
        await compose(coord, sl="Ponoči ne", en="Not at night")
        await coord.click("📣 Pošlji zdaj")
        report = coord.last
        await eventually(lambda: "Nočni mir" in report.text, timeout=10)
        assert not received(ana, "Ponoči ne")
        [held] = await bot.services.announcements.sending.active()
        await compose(coord, sl="Nujno: voda", en="Urgent: water", urgent=True)
        await coord.click("📣 Pošlji zdaj")
        await eventually(lambda: received(ana, "Nujno: voda"))
        assert not any(m.text and m.text.startswith("Ponoči ne") for m in ana.messages)
        # Cancelling the held one turns its live report into the final one.
        await coord.send("/obvestila")
        await coord.click(f"✖ Prekliči št. {held.id}")
        final = coord.emulator.chat(COORDINATOR).messages[report.message_id].text
        assert f"Obvestilo št. {held.id}: preklicano" in final
        assert "✖ Neposlano (preklicano): 2" in final  # Ana and the coordinator
        assert not received(ana, "Ponoči ne")


async def test_a_blocked_resident_is_marked_inactive(
    bot: Harness, town: dict[str, EmulatedUser]
) -> None:
    coord = await coordinator(bot)
    bot.emulator.chat(town["bojan"].id).blocked = True  # blocked, and we missed the update
    await compose(coord, sl="Za vse", en="For all")
    await coord.click("📣 Pošlji zdaj")
    report = coord.last
    await eventually(lambda: "poročilo o dostavi" in report.text)
    assert "🚫 Blokirali bota: 1" in report.text and "✅ Dostavljeno: 5" in report.text
    stored = await bot.services.residents.get(town["bojan"].id)
    assert stored is not None and not stored.is_active
    # The next announcement does not even try.
    await compose(coord, sl="Še enkrat", en="Once more")
    assert "5 prebivalcev" in coord.last.text


async def test_429_is_obeyed_and_nothing_is_lost(sqlite_url: str) -> None:
    async with BotAPIEmulator("123456:TEST-TOKEN-for-the-emulator") as emulator:
        emulator.processing_hook = True
        async with running_bot(emulator, sqlite_url, delivery_rate=20) as bot:
            people = [await seed_resident(bot, 700 + i, f"R{i}") for i in range(12)]
            coord = await coordinator(bot)
            await compose(coord, sl="Hitro", en="Fast", urgent=True)
            # From now on a server stricter than the configured rate: 429s must come, and be
            # obeyed.
            emulator.flood = FloodControl(RateLimits(global_count=2, private_count=1))
            await coord.click("📣 Pošlji zdaj")
            [announcement] = await bot.services.announcements.sending.active()
            await eventually(lambda: status_of(bot, announcement.id), timeout=60)
            await eventually(lambda: _all_sent(bot, announcement.id), timeout=60)
            # More 429s than a row has attempts: waiting is not failing.
            assert bot.services.delivery_engine.counts["flood"] > 6
            assert emulator.flood.rejected >= bot.services.delivery_engine.counts["flood"]
            for person in people:
                got = [m for m in person.messages if m.text and m.text.startswith("Hitro")]
                assert len(got) == 1, person.name
            got = [m for m in coord.messages if m.text and m.text.startswith("Hitro")]
            assert len(got) == 2  # the preview, and the announcement itself


async def _all_sent(bot: Harness, announcement_id: int) -> bool:
    async with bot.services.sessions() as session:
        statuses = (
            (
                await session.execute(
                    select(OutboxMessage.status).where(
                        OutboxMessage.announcement_id == announcement_id
                    )
                )
            )
            .scalars()
            .all()
        )
    return bool(statuses) and all(s == "sent" for s in statuses)


async def test_lost_responses_are_recorded_as_unknown_and_retried(
    bot: Harness, town: dict[str, EmulatedUser]
) -> None:
    coord = await coordinator(bot)
    await compose(
        coord, sl="Izgubljeni odgovori", en="Lost answers", audience=("Po jeziku", "English")
    )
    bot.emulator.faults.drop_after_send = 1.0  # from here on, every send's answer is lost
    await coord.click("📣 Pošlji zdaj")
    await eventually(lambda: bot.emulator.faults.dropped >= 2)
    bot.emulator.faults.drop_after_send = 0.0
    [announcement] = await bot.services.announcements.sending.active()
    await eventually(lambda: _all_sent(bot, announcement.id), timeout=30)
    async with bot.services.sessions() as session:
        outcomes = (await session.execute(select(DeliveryAttempt.outcome))).scalars().all()
    assert outcomes.count("unknown") >= 2 and outcomes.count("sent") == 2
    # At least once: the dropped ones arrived twice, and each arrival is on record.
    dan = [m for m in town["dan"].messages if m.text and m.text.startswith("Lost answers")]
    assert 1 <= len(dan) <= 1 + outcomes.count("unknown")


async def test_bad_input_while_composing(bot: Harness, town: dict[str, EmulatedUser]) -> None:
    resident = town["ana"]
    await resident.send("/start")
    replies = await resident.send("/obvesti")
    assert replies[0].text == "Oprostite, to lahko storijo le koordinatorji."
    replies = await resident.click("⚙️ Nastavitve", data="announce:v1:send:1")
    assert any(e.text == "Oprostite, to lahko storijo le koordinatorji." for e in replies)
    coord = await coordinator(bot)
    await coord.send("/obvesti")
    replies = await coord.send("x" * 4090)
    assert "Besedilo ima lahko največ" in replies[0].text
    await coord.send("Kratko")
    await coord.send("Short")
    replies = await coord.send("kar tako")  # text where a button (or a photo) is expected
    assert replies[0].text == "Prosimo, izberite eno od spodnjih možnosti."
    await coord.click("Brez fotografije")
    await coord.click("Po temi")
    replies = await coord.click("Končano ✔")
    assert any(
        e.kind == "callback_answer" and e.text == "Izberite vsaj eno možnost." for e in replies
    )
    replies = await coord.click(
        "Končano ✔", data="announce:v1:toggle:999:housing"
    )  # another draft's id
    assert any(e.text == "Ta gumb ni več veljaven." for e in replies if e.kind == "callback_answer")
    replies = await coord.click("Končano ✔", data="announce:v1:schedule:1")  # a later step
    assert any(e.text == "Ta gumb ni več veljaven." for e in replies if e.kind == "callback_answer")
    replies = await coord.click("Končano ✔", data="announce:v1:vals:1")  # before actions had names
    assert any(e.text == "Ta gumb ni več veljaven." for e in replies if e.kind == "callback_answer")
    await coord.click("✖ Zavrzi")
    assert coord.last.text == "Obvestilo je zavrženo."
    assert await bot.services.announcements.drafts.draft(COORDINATOR) is None


async def test_an_announcement_end_to_end_on_each_backend(bot_on: Harness) -> None:
    residents = [
        await seed_resident(bot_on, 801, "Ana", "sl", topics=("culture",)),
        await seed_resident(bot_on, 802, "Ben", "en", municipality="abroad", topics=("culture",)),
        await seed_resident(bot_on, 803, "Cene", "sl", topics=("energy",)),
    ]
    coord = await coordinator(bot_on)
    await compose(
        coord,
        sl="Kulturni večer",
        en="Culture night",
        audience=("Po temi", "Kultura in ustvarjalnost"),
    )
    assert "2 prebivalca (v slovenščini: 1, v angleščini: 1)" in coord.last.text
    await coord.click("📣 Pošlji zdaj")
    report = coord.last
    await eventually(lambda: "poročilo o dostavi" in report.text)
    assert "✅ Dostavljeno: 2" in report.text
    assert received(residents[0], "Kulturni večer") and received(residents[1], "Culture night")
    assert not received(residents[2], "Kulturni večer")
