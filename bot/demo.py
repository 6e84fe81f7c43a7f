"""`magnet-bot demo`: the real bot against the local emulator, residents played, transcript printed."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import signal
import socket
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot import demo_platform
from bot.config import load_settings
from bot.domain import Step
from bot.emulator import BotAPIEmulator, EmulatedUser, RateLimits, render_transcript
from bot.emulator.client import web_app_link
from bot.runtime import BotRuntime
from bot.services.surveys.definition import Kind, Question, Role

DEMO_TOKEN = "424242:DEMO-magnet-bot-local-emulator"
ADMIN_ID = 900001
COORDINATORS_CHAT = -100900001
# Sixteen of the made-up survey respondents (see _decide; 900001 is Maja) vote in the demo's
# conversation.
DEMO_VOTERS = range(900_002, 900_018)


async def run_demo(
    out: TextIO = sys.stdout,
    database: Path | None = None,
    *,
    serve: bool = False,
    port: int = 0,
    stop: asyncio.Event | None = None,
) -> int:
    """The demo; with `serve`, the bot and its dashboard stay up afterwards until Ctrl+C
    (or until `stop` is set)."""
    web_port = (port or _free_port()) if serve else None
    with tempfile.TemporaryDirectory(prefix="magnet-demo-") as tmp:
        db_file = database or Path(tmp) / "demo.sqlite3"
        async with BotAPIEmulator(DEMO_TOKEN, limits=RateLimits()) as emulator:
            served = {"http_port": web_port, "public_url": f"http://127.0.0.1:{web_port}"}
            settings = load_settings(
                **(served if serve else {}),
                bot_token=DEMO_TOKEN,
                bot_api_url=emulator.base_url,
                database_url=f"sqlite+aiosqlite:///{db_file}",
                admin_ids=str(ADMIN_ID),
                default_locale="sl",
                auto_migrate=True,
                poll_timeout=1,
                quiet_hours="",  # the demo may run at night; the tests cover quiet hours
                scheduler_seconds=0.5,
                coordinator_chat_id=COORDINATORS_CHAT,
                survey_secret=secrets.token_urlsafe(32),  # the demo's database is thrown away
                digest_every=0,  # the digest comes when Maja asks for it, at the end
                conversation_min_voters=10,  # Ben and the made-up voters below
            )
            emulator.processing_hook = True
            emulator.add_group(COORDINATORS_CHAT, "Koordinatorji MAGNET")
            async with BotRuntime(settings, on_update_done=emulator.mark_processed) as runtime:
                people = await _play(emulator)
                await _announce(runtime, people["Ana"])
                people.update(await _lab(runtime, emulator, people))
                await _survey(people["Maja"], people["Cene"])
                await _decide(runtime, emulator, people["Maja"])
                await demo_platform.idea_to_answer(people, COORDINATORS_CHAT)
                await demo_platform.conversation_result(runtime, people, DEMO_VOTERS)
                residents = await runtime.services.residents.get(people["Ana"].id)
                if serve:
                    # Ana asks for the dashboard; off HTTPS the bot gives her a browser link.
                    await people["Ana"].send("/nadzorna_plosca")
                    _transcript(out, emulator, people, residents)
                    await _serve(out, runtime, people["Ana"], web_port or 0, stop)
        if not serve:
            _transcript(out, emulator, people, residents)
    return 0


def _transcript(
    out: TextIO, emulator: BotAPIEmulator, people: dict[str, EmulatedUser], residents: Any
) -> None:
    names = {p.id: f"{name} ({p.user.language_code})" for name, p in people.items()}
    names[COORDINATORS_CHAT] = "Koordinatorji MAGNET (coordinators' group)"
    out.write("magnet-bot demo: the real bot, a local Bot API emulator, a fresh SQLite file.\n\n")
    out.write(render_transcript(emulator.log.events, names))
    out.write(
        f"\nAna's stored profile: municipality={residents.municipality}, "
        f"age={residents.age_band}, status={residents.status}, "
        f"topics={sorted(residents.topics)}\n"
        if residents
        else ""
    )
    menus = ", ".join(f"{key[1] or 'default'} {key[0]}" for key in sorted(emulator.commands))
    out.write(f"Command menus set: {menus}\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve(
    out: TextIO, runtime: BotRuntime, ana: EmulatedUser, port: int, stop: asyncio.Event | None
) -> None:
    """Print the dashboard's links, then wait for Ctrl+C (SIGINT) or SIGTERM."""
    base = f"http://127.0.0.1:{port}/dashboard/"
    _, token = await runtime.services.tokens.create("demo staff")
    out.write(
        "\nThe bot and the emulator keep running. The dashboard, in a browser:\n"
        f"  as Ana, the demo coordinator (signed in as Telegram would sign her in):\n"
        f"    {web_app_link(base, DEMO_TOKEN, ana.user)}\n"
        f"  as staff, with a staff token (downloads too):\n"
        f"    {base}login#token={token}\n"
        "Press Ctrl+C to stop.\n"
    )
    out.flush()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    out.write("Stopping.\n")


async def _play(emulator: BotAPIEmulator) -> dict[str, EmulatedUser]:
    ana = EmulatedUser(emulator, 100001, "Ana", "sl")
    ben = EmulatedUser(emulator, 100002, "Ben", "en")
    maja = EmulatedUser(emulator, ADMIN_ID, "Maja", "sl")

    # Ana, a student in Celje, onboards in Slovenian and later changes her topics.
    await ana.send("/start")
    await ana.click("✅ Strinjam se")
    await ana.click("V Celju")
    await ana.click("18–24 let")
    await ana.click("Učenec/-ka, dijak/-inja ali študent/-ka")
    await ana.click("Cenovno dostopna stanovanja")
    await ana.click("Trajnostna mobilnost")
    await ana.click("Končano ✔")
    await ana.send("/nastavitve")
    await ana.click("🏷 Teme")
    await ana.click("Kultura in ustvarjalnost")
    await ana.click("« Nazaj")
    await ana.click("✖ Zapri")

    # Ben scanned the poster at the MiniHub in Prebold; he types where a button is expected.
    await ben.send("/start hub_prebold")
    await ben.click("✅ I agree")
    await ben.send("Prebold")
    await ben.click("Prebold")
    await ben.click("25–34")
    await ben.click("Employed")
    await ben.click("Energy communities")
    await ben.click("Done ✔")
    await ben.send("/grant 100001 coordinator")
    await ben.send_sticker()

    # Maja, an administrator, makes Ana a coordinator.
    await maja.send("/dodeli 100001 koordinator")
    await maja.send("/vloge")
    return {"Ana": ana, "Ben": ben, "Maja": maja}


async def _announce(runtime: BotRuntime, ana: EmulatedUser) -> None:
    """Ana announces an energy-community evening to everyone, in both languages."""
    await ana.send("/obvesti")
    await ana.send(
        "Energetska skupnost Celje: informativni večer v četrtek ob 18.00 v MAGNET Hubu."
    )
    await ana.send(
        "Celje energy community: information evening on Thursday at 6 pm at the MAGNET Hub."
    )
    await ana.click("Brez fotografije")
    await ana.click("Vsi")
    await ana.click("📣 Pošlji zdaj")
    [announcement] = await runtime.services.announcements.sending.active()
    for _ in range(200):
        current = await runtime.services.announcements.sending.get(announcement.id)
        report = ana.emulator.chat(ana.id).messages[ana.last.message_id]
        if current and current.status == "done" and "poročilo" in (report.text or ""):
            break
        await asyncio.sleep(0.1)
    await ana.send("/obvestila")


def _note(emulator: BotAPIEmulator, text: str) -> None:
    emulator.log.add("note", 0, text=text)


async def _onboard(emulator: BotAPIEmulator, user_id: int, name: str, sl: bool) -> EmulatedUser:
    user = EmulatedUser(emulator, user_id, name, "sl" if sl else "en")
    await user.send("/start")
    await user.click("✅ Strinjam se" if sl else "✅ I agree")
    await user.click("V Celju" if sl else "In Celje")
    await user.click("25–34 let" if sl else "25–34")
    await user.click("Zaposlen/-a" if sl else "Employed")
    await user.click("Cenovno dostopna stanovanja" if sl else "Affordable housing")
    await user.click("Končano ✔" if sl else "Done ✔")
    return user


async def _lab(
    runtime: BotRuntime, emulator: BotAPIEmulator, people: dict[str, EmulatedUser]
) -> dict[str, EmulatedUser]:
    """Ana creates a housing lab with two seats; it fills, a seat passes along the waitlist,
    and the reminder goes out."""
    ana, ben = people["Ana"], people["Ben"]
    cene = await _onboard(emulator, 100003, "Cene", sl=True)
    dora = await _onboard(emulator, 100004, "Dora", sl=False)
    tz = runtime.settings.tz
    starts = (datetime.now(tz) + timedelta(days=2)).replace(hour=17, minute=0, second=0)
    await ana.send("/nova_delavnica")
    await ana.send("Dostopna stanovanja za mlade")
    await ana.send("Affordable housing for young people")
    await ana.send("Kako do dostopnega stanovanja v Celju? Pogovor z mestno upravo in zadrugo.")
    await ana.send("How to find affordable housing in Celje: a talk with the city and a co-op.")
    await ana.click("MAGNET Hub Celje")
    await ana.click("Cenovno dostopna stanovanja")
    await ana.send(starts.strftime("%d. %m. %H:%M"))
    await ana.send("19:00")
    await ana.send("2")
    await ana.click("Do začetka")
    await ana.click("24 h in 2 h prej")
    await ana.click("Brez gostov")
    await ana.click("✅ Objavi")

    await ben.send("/labs")
    await ben.click("1. Affordable housing for young people")
    await ben.click("✍️ Sign up")
    await cene.send("/delavnice")
    await cene.click("1. Dostopna stanovanja za mlade")
    await cene.click("✍️ Prijava")
    await dora.send("/labs")
    await dora.click("1. Affordable housing for young people")
    await dora.click("⏳ Join the waitlist")

    await cene.click("✖ Prekliči prijavo", cene.messages[-2])
    await cene.click("Da, prekliči")
    await dora.wait_for_message("A seat has come free", timeout=30)
    await dora.click("✅ Take the seat")

    _note(emulator, "The demo skips ahead to two hours before the lab starts.")
    await runtime.services.lab_jobs.send_reminders(starts.astimezone(UTC) - timedelta(hours=2))
    for user in (ben, dora):
        await user.wait_for_message("Reminder", timeout=30)
    return {"Cene": cene, "Dora": dora}


async def _survey(maja: EmulatedUser, cene: EmulatedUser) -> None:
    """Maja opens a round of the survey; Cene answers it in Slovenian, anonymously."""
    await maja.send("/ankete")
    await maja.click("▶️ Odpri nov krog")
    await cene.send("/anketa")
    await cene.click("🕶 Odgovarjam anonimno")
    await cene.click("V Celju")
    await cene.click("Ne, tu živim od otroštva")
    await cene.click("Zaposlen/-a")
    await cene.click("V Ljubljani")
    await cene.click("Z javnim prevozom (avtobus, vlak)")
    await cene.send("27")
    await cene.click("Verjetno se bom odselil/-a")
    await cene.click("▫️ Premalo cenovno dostopnih stanovanj")
    await cene.click("▫️ Slab javni prevoz")
    await cene.click("Končano ✔")
    await cene.click("▫️ Več cenovno dostopnih stanovanj")
    await cene.click("Končano ✔")
    for rating in ("4", "2", "3", "2", "2", "4"):
        await cene.click(rating)
    await cene.click("Morda")
    await cene.send("Hitrejši vlak do Ljubljane in stanovanja za mlade družine.")
    await cene.click("Da")  # his idea may go to the coordinators, without his name
    await cene.click("✏️ 5")  # he commutes by car after all
    await cene.click("Z avtomobilom")
    await cene.click("✅ Oddaj")


# Made-up respondents in two rounds, so that the digest has groups of five or more to show
# and a trend to follow: Celje and Prebold side by side, and a few who moved away. `lean` is
# the share who give a key question's headline answer ("will stay"): fewer in the first
# round, more in the second.
DEMO_ROUNDS = (
    {"respondents": (("celje", 18), ("prebold", 12), ("abroad", 5)), "lean": 0.42},
    {"respondents": (("celje", 20), ("prebold", 14), ("abroad", 5)), "lean": 0.65},
)
DEMO_IDEAS = (
    "Več zelenih površin ob Savinji.",
    "Pogostejši avtobusi zvečer.",
    "Skupna delavnica za mlade podjetnike.",
    "Cenejša najemna stanovanja za mlade družine.",
    "Kolesarska pot od Prebolda do Celja.",
)


async def _decide(runtime: BotRuntime, emulator: BotAPIEmulator, maja: EmulatedUser) -> None:
    """The coordinators' side of the survey: two rounds of made-up answers, the decision
    views in Maja's chat, the digest in the coordinators' group, then a staff export."""
    rounds = runtime.services.surveys.rounds
    code = runtime.services.surveys.default_code()
    telegram_id = 900_000
    for number, demo_round in enumerate(DEMO_ROUNDS, start=1):
        if number > 1:
            _note(
                emulator,
                f"The demo skips ahead half a year: round {number - 1} closes, round {number} opens.",
            )
            await rounds.close(ADMIN_ID, code)
            await rounds.open(ADMIN_ID, code)
        count = sum(n for _, n in demo_round["respondents"])
        _note(
            emulator,
            f"DEMO DATA: {count} made-up respondents answer round {number} of the survey "
            "through the services, so that the digest below has groups large enough to show.",
        )
        for municipality, how_many in demo_round["respondents"]:
            for index in range(how_many):
                telegram_id += 1
                # Exactly `lean` of each place give the headline answers, spread evenly.
                lean = demo_round["lean"]
                headline = int((index + 1) * lean) > int(index * lean)
                await _made_up_response(runtime, telegram_id, municipality, headline)
    # The first view loads the statistics and chart libraries: give it time on a slow machine.
    maja.timeout = max(maja.timeout, 120.0)
    await maja.send("/povzetek")
    await maja.click("Po občinah")
    await maja.click("📤 Pošlji povzetek v kanal")
    await emulator.wait_until(
        lambda: any(
            m.from_bot and m.text and "Povzetek" in m.text
            for m in emulator.chat(COORDINATORS_CHAT).messages.values()
        ),
        timeout=60,
    )
    await asyncio.sleep(1)  # and its chart, which follows the text
    await maja.send("/izvoz")
    await maja.click("1. krog")  # the round Cene and the first made-up respondents answered


async def _made_up_response(
    runtime: BotRuntime, telegram_id: int, municipality: str, headline: bool
) -> None:
    """A made-up resident answers along the survey's own path, whatever the instrument: where
    they live as their profile says, the key questions' headline answers or not (`headline`),
    anything else at random."""
    residents, responses = runtime.services.residents, runtime.services.surveys.responses
    await residents.touch(telegram_id, "sl")
    await residents.accept_consent(telegram_id, "sl")
    await residents.answer(telegram_id, Step.MUNICIPALITY, municipality)
    await residents.answer(telegram_id, Step.AGE_BAND, ("18_24", "25_34", "35_49")[telegram_id % 3])
    await residents.answer(telegram_id, Step.STATUS, ("student", "employed")[telegram_id % 2])
    await residents.finish_topics(telegram_id)
    code = runtime.services.surveys.default_code()
    chance = random.Random(telegram_id)
    position = await responses.begin(code, telegram_id, anonymous=True)
    while position.question is not None:
        question, ordinal = position.question, position.ordinal(position.question)
        kind = question.type.value
        if kind in ("single", "multi", "scale"):
            pick = _pick(question, chance, headline, municipality)
            position = await responses.choose(code, telegram_id, position.version_id, ordinal, pick)
            if kind == "multi":
                if chance.random() < 0.5 and len(question.options) > 1:
                    other = (pick + 1 + chance.randrange(len(question.options) - 1)) % len(
                        question.options
                    )
                    position = await responses.choose(
                        code, telegram_id, position.version_id, ordinal, other
                    )
                position = await responses.done(code, telegram_id, position.version_id, ordinal)
        elif kind == "number":
            low, high = question.min or 0, question.max or 99
            value = min(high, max(low, 18 + telegram_id % 40))
            position = await responses.type_in(code, telegram_id, str(value))
        else:
            idea = DEMO_IDEAS[telegram_id % len(DEMO_IDEAS)]
            position = await responses.type_in(code, telegram_id, idea)
    await responses.submit(code, telegram_id, position.version_id)


def _pick(question: Question, chance: random.Random, headline: bool, municipality: str) -> int:
    """An option's index (a scale's value): a key question's headline answer or not, the
    option naming the resident's municipality if there is one, else any."""
    values = (
        [str(n) for n in range(1, 6)]
        if question.type == Kind.SCALE
        else [o.code for o in question.options]
    )
    report = question.report
    if report is not None and report.role == Role.KEY and report.headline:
        wanted = [v for v in values if (v in report.headline) == headline]
        value = chance.choice(wanted or values)
    elif question.type == Kind.SINGLE and municipality in values:
        value = municipality
    else:
        value = chance.choice(values)
    return int(value) if question.type == Kind.SCALE else values.index(value)
