"""Labs end to end through the emulator: a coordinator creates a lab, residents in both
languages sign up, it fills, seats pass along the waitlist, reminders, check-in, feedback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from bot.domain import CONSENT_VERSION, Role
from bot.emulator import BotAPIEmulator, EmulatedUser
from storage.models import AuditEntry, Lab, LabRegistration, Resident
from tests.support.harness import ADMIN_ID, Harness, eventually, onboard, running_bot, seed_resident
from tests.support.labs import insert_lab

COORDINATOR = 500
GROUP = -1005001


async def coordinator(bot: Harness, name: str = "Katja") -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = bot.user(COORDINATOR, name, "sl")
    await onboard(coord, topics=())
    return coord


def local(bot: Harness, moment: datetime) -> str:
    """A moment written as a coordinator would type it: 3. 12. 17:00 (with the year)."""
    return moment.astimezone(bot.settings.tz).strftime("%d. %m. %Y %H:%M")


async def create_lab_by_chat(bot: Harness, coord: EmulatedUser, starts: datetime) -> int:
    await coord.send("/nova_delavnica")
    assert "korak 1 od 12" in coord.last.text
    await coord.send("Dostopna stanovanja za mlade")
    await coord.send("Affordable housing for young people")
    await coord.send("Kako do dostopnega stanovanja v Celju? Pogovor z mestno upravo.")
    await coord.click("Enako besedilo kot v slovenščini")
    await coord.click("MAGNET Hub Celje")
    await coord.click("Cenovno dostopna stanovanja")
    await coord.send("jutri zvečer")  # not a date: re-asked politely
    assert "Datuma in ure ne prepoznamo" in coord.last.text
    await coord.send(local(bot, starts))
    await coord.send("2 h")
    await coord.send("veliko")  # not a number
    assert "celo število" in coord.last.text
    await coord.send("2")
    await coord.click("Do začetka")
    await coord.click("24 h in 2 h prej")
    await coord.click("Brez gostov")
    preview = coord.last.text
    assert "Predogled" in preview and "še 2 prosti mesti" in preview
    assert "24, 2 h prej" in preview
    await coord.click("✅ Objavi")
    async with bot.services.sessions() as session:
        lab = (await session.execute(select(Lab))).unique().scalar_one()
    assert lab.status == "published" and lab.capacity == 2
    assert lab.ends_at - lab.starts_at == timedelta(hours=2)
    return lab.id


def alerts(user: EmulatedUser) -> list[str]:
    """What the bot answered to the user's button presses (toasts and alerts)."""
    return [e.text for e in user.events() if e.kind == "callback_answer"]


def texts(user: EmulatedUser) -> list[str]:
    return [m.text or m.caption or "" for m in user.messages]


@pytest.fixture
async def labbot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    emulator.add_group(GROUP, "Koordinatorji MAGNET")
    async with running_bot(
        emulator, sqlite_url, coordinator_chat_id=GROUP, offer_hours=0.001
    ) as harness:
        yield harness


async def test_a_lab_fills_seats_pass_along_the_waitlist_checkin_and_feedback(
    labbot: Harness,
) -> None:
    bot = labbot
    coord = await coordinator(bot)
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    lab_id = await create_lab_by_chat(bot, coord, starts)
    ana = await seed_resident(bot, 601, "Ana", "sl")
    ben = await seed_resident(bot, 602, "Ben", "en")
    cvetka = await seed_resident(bot, 603, "Cvetka", "sl")
    dan = await seed_resident(bot, 604, "Dan", "en")
    emma = await seed_resident(bot, 605, "Emma", "en")

    # Ana browses in Slovenian and signs up: confirmed at once, with a calendar file.
    await ana.send("/delavnice")
    assert "še 2 prosti mesti" in ana.last.text
    await ana.click("1. Dostopna stanovanja za mlade")
    assert "MAGNET Hub Celje" in ana.last.text
    events = await ana.click("✍️ Prijava")
    assert "✅ Prijavljeni ste." in ana.messages[-2].text
    ics = next(e for e in events if e.kind == "bot_document")
    assert ics.file_name == f"magnet-lab-{lab_id}.ics"
    calendar = Calendar.from_ical(ana.messages[-1].document.data)
    event = next(iter(calendar.walk("VEVENT")))
    assert event.decoded("dtstart") == starts.astimezone(bot.settings.tz)
    assert str(event.decoded("dtstart").tzinfo) == "Europe/Ljubljana"
    assert f"start=lab_{lab_id}" in str(event.get("url"))

    # Ben (English) takes the last seat; the coordinators hear 50 % and 100 %.
    await ben.send("/labs")
    assert "1 seat left" in ben.last.text
    await ben.click("1. Affordable housing for young people")
    await ben.click("✍️ Sign up")
    group = bot.emulator.chat(GROUP)

    def posted() -> list[str]:
        return [m.text or "" for m in group.messages.values()]

    # The two alerts may arrive in either order: wait for both, then check there are no more.
    await eventually(
        lambda: (
            any("50" in t for t in posted()) and any("100-odstotno zasedena" in t for t in posted())
        )
    )
    assert len([t for t in posted() if "100" in t]) == 1, posted()

    # The lab is full: Cvetka, Dan and Emma join the waitlist in that order.
    for user, label, position in (
        (cvetka, "⏳ Na čakalni seznam", "1."),
        (dan, "⏳ Join the waitlist", "number 2"),
        (emma, "⏳ Join the waitlist", "number 3"),
    ):
        await user.send("/labs")
        await user.click("1. ")
        await user.click(label)
        assert position in user.last.text

    # Ana cancels: Cvetka is offered the seat and takes it.
    await ana.send("/moje_delavnice")
    await ana.click("Dostopna stanovanja za mlade")
    await ana.click("✖ Prekliči prijavo")
    await ana.click("Da, prekliči")
    assert "preklicana" in ana.last.text
    await cvetka.wait_for_message("sprostilo mesto")
    await cvetka.click("✅ Sprejmem mesto")
    assert "✅ Prijavljeni ste." in cvetka.messages[-2].text

    # Ben cancels: Dan is offered the seat, lets it lapse, and it passes to Emma.
    await ben.send("/mylabs")
    await ben.click("Affordable housing for young people")
    await ben.click("✖ Cancel my sign-up")
    await ben.click("Yes, cancel")
    await dan.wait_for_message("A seat has come free")
    await dan.wait_for_message("was not taken in time")
    await emma.wait_for_message("A seat has come free")
    await dan.click("✅ Take the seat")  # too late: refused politely, nothing changes
    assert "no longer open" in alerts(dan)[-1]
    await emma.click("✅ Take the seat")
    assert "You are signed up" in emma.messages[-2].text

    async with bot.services.sessions() as session:
        regs = {
            r.resident_id: r.status
            for r in (await session.execute(select(LabRegistration))).scalars()
        }
        lab = await session.get(Lab, lab_id)
    assert sorted(regs.values()) == ["cancelled", "cancelled", "confirmed", "confirmed", "expired"]
    assert lab.seats_taken == 2

    # Check-in at the lab: the coordinator types Cvetka's code.
    code = (await bot.services.labs.registration(lab_id, cvetka.id)).checkin_code
    async with bot.services.sessions.begin() as session:  # the lab is on now
        await session.execute(
            update(Lab)
            .where(Lab.id == lab_id)
            .values(
                starts_at=datetime.now(UTC) - timedelta(minutes=30),
                ends_at=datetime.now(UTC) + timedelta(minutes=30),
            )
        )
    await cvetka.send("/moje_delavnice")
    await cvetka.click("Dostopna stanovanja za mlade")
    events = await cvetka.click("🎫 Vstopna koda QR")
    ticket = next(e for e in events if e.kind == "bot_photo")
    assert code in ticket.text
    assert cvetka.last.photo.data.startswith(b"\x89PNG")
    await coord.send(f"/prihod {code.lower()}")
    assert "✅ Prihod zabeležen" in coord.last.text and "prišla je 1 oseba" in coord.last.text
    await coord.send(f"/prihod {code}")
    assert "že zabeležen" in coord.last.text
    await coord.send("/prihod XXXXXX")
    assert "Prijave s kodo XXXXXX ni." in coord.last.text

    # The roster, and its CSV (Cvetka agreed to be listed by name; Emma did not).
    await cvetka.click("🙋 Pokaži moje ime organizatorjem")
    await coord.send(f"/udelezenci {lab_id}")
    roster = coord.last.text
    assert "Cvetka" in roster and "(ime skrito)" in roster and "Emma" not in roster
    await coord.click("📄 Udeleženci (CSV)")
    csv_text = coord.last.document.data.decode("utf-8-sig")
    assert "Cvetka" in csv_text and "Emma" not in csv_text and str(emma.id) not in csv_text
    async with bot.services.sessions() as session:
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert {"lab.publish", "lab.checkin", "lab.roster_export"} <= set(actions)

    # After the lab, the one who came is asked for feedback (2 taps and a line).
    async with bot.services.sessions.begin() as session:
        await session.execute(
            update(Lab)
            .where(Lab.id == lab_id)
            .values(ends_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    await cvetka.wait_for_message("Vam je bila koristna?")
    assert not [t for t in texts(emma) if "useful for you" in t]  # she was not checked in
    await cvetka.click("👍 Zelo")
    await cvetka.click("Da")
    await cvetka.send("Odlično, več takih!")
    assert "Hvala za vaš odziv!" in cvetka.last.text
    reg = await bot.services.labs.registration(lab_id, cvetka.id)
    assert (reg.feedback_useful, reg.feedback_again) == (3, 3)


async def test_reminder_arrives_once_across_a_restart(labbot: Harness) -> None:
    bot = labbot
    ana = await seed_resident(bot, 611, "Ana", "sl")
    starts = datetime.now(UTC) + timedelta(hours=2, seconds=4)
    lab_id = await add_lab(bot, starts=starts, reminders=[120])
    await ana.send(f"/start lab_{lab_id}")
    await ana.click("✍️ Prijava")
    await bot.restart()  # before the reminder is due; it is rebuilt from the database
    await ana.wait_for_message("⏰ Opomnik")
    await asyncio.sleep(1.0)  # several scheduler ticks later: still one
    assert len([t for t in texts(ana) if "Opomnik" in t]) == 1
    await bot.restart()
    await asyncio.sleep(0.8)
    assert len([t for t in texts(ana) if "Opomnik" in t]) == 1


async def add_lab(bot: Harness, *, starts: datetime, capacity: int | None = 3, **fields):  # type: ignore[no-untyped-def]
    return await insert_lab(
        bot.services.sessions,
        starts=starts,
        capacity=capacity,
        hub="prebold",
        author=COORDINATOR,
        **fields,
    )


async def test_bad_input_stale_and_forged_buttons_and_roles(labbot: Harness) -> None:
    bot = labbot
    coord = await coordinator(bot)
    ana = await seed_resident(bot, 621, "Ana", "sl")
    ben = await seed_resident(bot, 622, "Ben", "en")
    lab_id = await add_lab(bot, starts=datetime.now(UTC) + timedelta(days=3), capacity=5, guests=1)

    # Residents may not create labs or check people in.
    await ana.send("/nova_delavnica")
    assert "le koordinatorji" in ana.last.text
    await ben.send("/checkin ABCDEF")
    assert "only coordinators" in ben.last.text

    # A forged or unknown lab button: a polite alert, nothing stored.
    await ana.send("/delavnice")
    listing = ana.last
    await ana.click("x", listing, data="lab:v1:join:99999:1:0")
    assert alerts(ana)[-1].startswith("Te delavnice ne najdemo")
    await ana.click("x", listing, data="lab:v1:join:abc")
    await ana.click("x", listing, data="labadmin:v1:publish:1")  # a coordinator's button
    assert "le koordinatorji" in ana.last.text

    # Stale: the card is shown, then the coordinator edits the lab; the old button is refused
    # with the fresh card, and the next press works.
    await ana.send("/delavnice")
    await ana.click("1. Energetska skupnost Prebold")
    old_card = ana.last
    await coord.send("/delavnice")
    await coord.click("1. Energetska skupnost Prebold")
    await coord.click("⚙️ Upravljanje")
    await coord.click("✏️ Uredi")
    await coord.click("Mesta")
    await coord.send("6")
    assert "Shranjeno" in texts(coord)[-2]
    await ana.click("✍️ Prijava", old_card)
    assert "je bila medtem spremenjena" in alerts(ana)[-1]
    assert "še 6 prostih mest" in ana.last.text
    await ana.click("Prijava z gostom")
    assert "z enim gostom" in ana.messages[-2].text
    # Signing up twice (an old button again): told, not double-booked.
    await ana.click("✍️ Prijava", old_card, data=f"lab:v1:join:{lab_id}:2:0")
    assert "že prijavljeni" in alerts(ana)[-1]
    assert (await bot.services.lab_records.invariant(lab_id)) == (2, 2)

    # A moved lab: everyone signed up hears the new time.
    await coord.send("/delavnice")
    await coord.click("1. Energetska skupnost Prebold")
    await coord.click("⚙️ Upravljanje")
    await coord.click("✏️ Uredi")
    await coord.click("Začetek")
    new_start = (datetime.now(UTC) + timedelta(days=4)).replace(second=0, microsecond=0)
    await coord.send(local(bot, new_start))
    await ana.wait_for_message("je spremenjena")

    # A deep link to the lab opens its card; a check-in link works only for coordinators.
    await ben.send(f"/start lab_{lab_id}")
    assert "Prebold energy community" in ben.last.text
    code = (await bot.services.labs.registration(lab_id, ana.id)).checkin_code
    await ben.send(f"/start ci_{code.lower()}")
    assert "show this code to a coordinator" in ben.last.text
    await coord.send(f"/start ci_{code.lower()}")
    assert "le v času delavnice" in coord.last.text  # days before the lab

    # Cancelling the lab tells Ana; her old buttons then say so.
    await coord.send("/delavnice")
    await coord.click("1. Energetska skupnost Prebold")
    await coord.click("⚙️ Upravljanje")
    await coord.click("❌ Odpovej delavnico")
    await coord.click("Da, odpovej delavnico")
    assert "obveščamo 1 prijavljeno osebo" in coord.last.text
    await ana.wait_for_message("je odpovedana")
    await ben.click("✍️ Sign up")
    assert "cancelled" in alerts(ben)[-1]


async def test_qr_code_and_the_lab_list_filters(labbot: Harness) -> None:
    bot = labbot
    coord = await coordinator(bot)
    await add_lab(bot, starts=datetime.now(UTC) + timedelta(days=3))
    await coord.send("/delavnice")
    await coord.click("1. Energetska skupnost Prebold")
    await coord.click("⚙️ Upravljanje")
    await coord.click("🔳 Koda QR za plakat")
    png = coord.last.document
    assert png.name.endswith(".png") and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "start=lab_" in coord.last.caption
    # Filters: by theme and by hub.
    await coord.send("/delavnice")
    await coord.click("• Vse teme")  # the active filter; pressing it again is harmless
    await coord.click("Cenovno dostopna stanovanja")
    assert "nič ne ustreza" in coord.last.text
    await coord.click("Energetske skupnosti")
    await coord.click("MiniHub Prebold")
    assert "Energetska skupnost Prebold" in coord.last.text


async def test_two_hundred_taps_for_twenty_seats_through_the_emulator(
    emulator: BotAPIEmulator, db_url: str
) -> None:
    """Sign-ups race through the real bot on each backend: exactly the seats are confirmed."""
    async with running_bot(emulator, db_url) as bot:
        lab_id = await add_lab(bot, starts=datetime.now(UTC) + timedelta(days=3), capacity=20)
        users = [bot.user(10_000 + i, f"R{i}", "sl") for i in range(200)]
        for user in users:
            # The last of 200 simultaneous taps waits for the 199 before it: on a loaded
            # machine that can exceed one reply's usual wait. This test is about seats, not speed.
            user.timeout = 120.0
        async with bot.services.sessions.begin() as session:
            session.add_all(
                Resident(
                    telegram_id=u.id,
                    consent_version=CONSENT_VERSION,
                    consented_at=datetime.now(UTC),
                    onboarding_step="done",
                    municipality="celje",
                )
                for u in users
            )
        data = f"lab:v1:join:{lab_id}:1:0"
        for user in users:
            await user.send(f"/start lab_{lab_id}")
        await asyncio.gather(*(u.click("✍️ Prijava", u.last, data=data) for u in users))
        async with bot.services.sessions() as session:
            statuses = [
                r.status for r in (await session.execute(select(LabRegistration))).scalars()
            ]
        assert statuses.count("confirmed") == 20 and statuses.count("waitlisted") == 180
        assert await bot.services.lab_records.invariant(lab_id) == (20, 20)


async def test_an_announcement_to_the_participants_of_a_lab(labbot: Harness) -> None:
    bot = labbot
    coord = await coordinator(bot)
    ana = await seed_resident(bot, 631, "Ana", "sl")
    ben = await seed_resident(bot, 632, "Ben", "en")
    cvetka = await seed_resident(bot, 633, "Cvetka", "sl")
    lab_id = await add_lab(bot, starts=datetime.now(UTC) + timedelta(days=2), capacity=1)
    await bot.services.labs.sign_up(lab_id, ana.id)
    await bot.services.labs.sign_up(lab_id, ben.id)  # waitlisted: not a participant (yet)
    await coord.send("/obvesti")
    await coord.send("Prinesite copate!")
    await coord.send("Bring slippers!")
    await coord.click("Brez fotografije")
    await coord.click("Udeleženci delavnice")
    await coord.click(f"#{lab_id} Energetska skupnost Prebold")
    await coord.click("Končano ✔")
    assert "Prejemniki: 1 prebivalec" in coord.last.text
    await coord.click("📣 Pošlji zdaj")
    await ana.wait_for_message("Prinesite copate!")
    await asyncio.sleep(0.5)
    assert not [t for t in texts(ben) + texts(cvetka) if "slippers" in t or "copate" in t]


async def test_a_check_in_with_a_guest_says_so_inside_the_sentence(labbot: Harness) -> None:
    bot = labbot
    coord = await coordinator(bot)
    ana = await seed_resident(bot, 641, "Ana", "sl")
    now = datetime.now(UTC)
    lab_id = await add_lab(bot, starts=now + timedelta(days=1), capacity=5, guests=1)
    await bot.services.labs.sign_up(lab_id, ana.id, guests=1)
    async with bot.services.sessions.begin() as session:  # the lab is on now
        await session.execute(
            update(Lab)
            .where(Lab.id == lab_id)
            .values(starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=30))
        )
    code = (await bot.services.labs.registration(lab_id, ana.id)).checkin_code
    await coord.send(f"/prihod {code}")
    first = coord.last.text.splitlines()[0]
    assert first.startswith("✅ Prihod zabeležen") and first.endswith("«, z gostom."), first
    await coord.send(f"/prihod {code}")
    assert coord.last.text.splitlines()[0].endswith("«, z gostom.")
