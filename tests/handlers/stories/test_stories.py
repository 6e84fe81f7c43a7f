"""Urban stories end to end: a coordinator's story reaches followers of its theme in their
language; a resident's story is moderated (rejected with a reason, approved); bad input at each
step; a restart mid-draft; /stories; and the Portico export bundle, in-process and by CLI."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from bot.domain import Role
from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.services.audit import recent_entries
from bot.services.stories.export import schema_text, stories_zip
from storage.models import OutboxMessage, Story
from tests.support.cli import cli_env
from tests.support.harness import ADMIN_ID, TOKEN, Harness, eventually, running_bot, seed_resident

GROUP = -100800
COORDINATOR = 500
PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 64


@pytest.fixture
async def bot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    emulator.add_group(GROUP, "Koordinatorji")
    async with running_bot(emulator, sqlite_url, coordinator_chat_id=GROUP) as harness:
        yield harness


def last_answer(bot: Harness) -> str:
    answers = [a for a in bot.emulator.callback_answers.values() if a is not None]
    return str(answers[-1].get("text") or "")


def group_messages(bot: Harness) -> list:  # type: ignore[type-arg]
    chat = bot.emulator.chat(GROUP)
    return [m for _, m in sorted(chat.messages.items()) if m.from_bot]


def received(user: EmulatedUser, contains: str) -> list:  # type: ignore[type-arg]
    return [m for m in user.messages if contains in (m.text or m.caption or "")]


async def test_a_coordinators_story_reaches_followers_of_its_theme(bot: Harness) -> None:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = await seed_resident(bot, COORDINATOR, "Katja", "sl")
    ana = await seed_resident(bot, 701, "Ana", "sl", topics=("energy",))
    dan = await seed_resident(bot, 702, "Dan", "en", topics=("energy", "housing"))
    bojan = await seed_resident(bot, 703, "Bojan", "sl", topics=("housing",))

    await coord.send("/zgodba")
    assert "Pošljite naslov v slovenščini (največ 100 znakov)" in coord.last.text
    await coord.send_photo(PNG)  # a photo where the title is expected
    assert "napišite to kot besedilno sporočilo" in coord.messages[-2].text
    await coord.send("x" * 101)
    assert "največ 100 znakov, vaše besedilo pa jih ima 101" in coord.last.text
    await coord.send("Sonce na strehah Prebolda")
    await bot.restart()  # the draft waits in the database
    await coord.send("Sun on Prebold's roofs")
    await coord.send("Prva energetska skupnost v Preboldu je zagnala sončno elektrarno.")
    await coord.click("Enako besedilo za oba jezika")  # the English text is the same
    await coord.send("Energija")  # typed where a theme button is expected
    assert "izberite eno od spodnjih možnosti" in coord.messages[-2].text
    await coord.click("Energetske skupnosti", data="story:v1:topic:1:nonsense")
    assert last_answer(bot) == "Ta gumb ni več veljaven."
    await coord.click("Energetske skupnosti")
    await coord.send_photo(PNG)
    previews = coord.messages[-5:]
    assert "Sonce na strehah Prebolda" in previews[1].caption
    assert "Sun on Prebold's roofs" in previews[3].caption
    await coord.click("📣 Objavi")
    assert "Zgodba št. 1 je objavljena; pošiljamo jo 2 prebivalcema." in coord.last.text

    await ana.wait_for_message("Sonce na strehah Prebolda")
    await dan.wait_for_message("Sun on Prebold's roofs")
    [ana_story] = received(ana, "Sonce na strehah")
    assert ana_story.photo is not None and "projekt MAGNET" in ana_story.caption
    assert not received(bojan, "Sonce")  # not following energy
    async with bot.services.sessions() as session:
        rows = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "story")))
            .scalars()
            .all()
        )
    assert {r.urgent for r in rows} == {False}  # quiet hours would hold them
    [entry] = await recent_entries(bot.services.sessions, "story.publish")
    assert entry.details["recipients"] == 2 and entry.actor_telegram_id == COORDINATOR

    await bojan.send("/zgodbe")
    assert "1. Sonce na strehah Prebolda" in bojan.last.text
    await bojan.click("1. Sonce na strehah Prebolda")
    assert "Prva energetska skupnost" in bojan.last.caption


async def test_residents_stories_are_moderated(bot: Harness) -> None:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = await seed_resident(bot, COORDINATOR, "Katja", "en")
    dan = await seed_resident(bot, 711, "Dan", "en")
    eve = await seed_resident(bot, 712, "Eve", "en", topics=("culture",))

    async def tell(title: str) -> None:
        await dan.send("/story")
        assert "Your story. Send its title" in dan.last.text
        await dan.send(title)
        await dan.send("   ")
        assert "The text is empty" in dan.last.text
        await dan.send("We painted the underpass with the neighbours.")
        await dan.click("Culture and creativity")
        await dan.click("Skip the photo")
        assert "a resident's story" in dan.messages[-2].text
        await dan.click("📨 Submit")
        assert "Your story is with the coordinators" in dan.last.text

    await tell("The underpass mural")

    def card(title: str):  # type: ignore[no-untyped-def]
        cards = [m for m in group_messages(bot) if title in (m.text or "")]
        return cards[-1] if cards else None

    first = await eventually(lambda: card("The underpass mural"))
    await eve.click("✖ Zavrni", first)
    assert "only coordinators" in last_answer(bot)
    await coord.click("✖ Zavrni", first)
    assert "Why will story #1" in coord.last.text
    await coord.send("It names a neighbour who did not agree.")
    assert "Story #1 is rejected" in coord.last.text
    told = await dan.wait_for_message("was not published")
    assert "reason: It names a neighbour who did not agree." in told.text

    await tell("Our mural, anonymised")
    second = await eventually(lambda: card("Our mural, anonymised"))
    await coord.click("✅ Odobri", second)
    assert "Story #2 is published; it is going to 1 resident." in group_messages(bot)[-1].text
    await dan.wait_for_message("has been published")
    await eve.wait_for_message("Our mural, anonymised")
    await coord.click("✅ Odobri", second, data="storymod:v1:approve:2")  # a second press
    assert "already decided" in last_answer(bot)

    await eve.send("/stories")
    assert "Our mural, anonymised" in eve.last.text and "underpass mural" not in eve.last.text

    await dan.send("/mydata")
    data = json.loads(dan.last.document.data)
    assert [s["status"] for s in data["stories_written"]] == ["rejected", "published"]
    await dan.send("/forget")
    await dan.click("🗑 Yes, erase everything")
    async with bot.services.sessions() as session:
        authors = (await session.execute(select(Story.author_id))).scalars().all()
    assert authors == [None, None]  # the stories stay, unlinked
    from tests.support.scan import find_traces

    assert await find_traces(bot.services.sessions, [str(dan.id), "Dan"]) == []


async def _publish_one(bot: Harness) -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = await seed_resident(bot, COORDINATOR, "Katja", "sl")
    await coord.send("/zgodba")
    await coord.send("Zeleni Celje")
    await coord.send("Green Celje")
    await coord.send("Drevored ob Savinji.")
    await coord.send("An avenue of trees by the Savinja.")
    await coord.click("Dostopna stanovanja")
    await coord.send_photo(PNG)
    await coord.click("📣 Objavi")
    return coord


async def test_the_portico_bundle_holds_json_markdown_photos_and_a_readme(
    bot: Harness, tmp_path: Path
) -> None:
    await _publish_one(bot)
    application_bot = bot.runtime.application.bot  # type: ignore[union-attr]

    async def fetch(file_id: str) -> bytes | None:
        return bytes(await (await application_bot.get_file(file_id)).download_as_bytearray())

    body, count = await stories_zip(bot.services.sessions, fetch, route="test", who=None)
    assert count == 1
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        names = sorted(bundle.namelist())
        records = json.loads(bundle.read("stories.json"))
        markdown = bundle.read("stories/1-green-celje.md").decode()
        photo = bundle.read("photos/1.jpg")
        readme = bundle.read("README.md").decode()
        shipped_schema = json.loads(bundle.read("stories.schema.json"))
    assert names == [
        "README.md",
        "photos/1.jpg",
        "stories.json",
        "stories.schema.json",
        "stories/1-green-celje.md",
    ]
    _valid_against_the_documented_schema(records, shipped_schema, readme)
    [record] = records
    assert record["title_sl"] == "Zeleni Celje" and record["text_en"].startswith("An avenue")
    assert record["theme"] == "housing" and record["photo"] == "photos/1.jpg"
    assert not record["photo_missing"] and record["kind"] == "official"
    assert "# Zeleni Celje" in markdown and "# Green Celje" in markdown
    assert "![photo](../photos/1.jpg)" in markdown
    assert photo == PNG
    for field in ("title_sl", "photo_missing", "recipients", "Portico"):
        assert field in readme

    # The operator's route: the CLI, in its own process, against the same bot and database.
    out = tmp_path / "portico.zip"
    env = cli_env(
        MAGNET_DATABASE_URL=bot.settings.database_url,
        MAGNET_BOT_TOKEN=TOKEN,
        MAGNET_BOT_API_URL=bot.settings.bot_api_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "stories",
        "export",
        "--out",
        str(out),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    assert "1 stories written" in stdout.decode()
    with zipfile.ZipFile(out) as bundle:
        assert bundle.read("photos/1.jpg") == PNG
    entries = await recent_entries(bot.services.sessions, "stories.export")
    assert {e.details["route"] for e in entries} == {"test", "cli"}
    async with bot.services.sessions() as session:
        assert (await session.execute(select(Story.recipients))).scalar_one() == 0


def _valid_against_the_documented_schema(
    records: list[dict[str, object]], shipped_schema: dict[str, object], readme: str
) -> None:
    """stories.json follows the schema the package ships (and the bundle carries); the
    schema is strict enough to refuse a broken record; the README names every field."""
    schema = json.loads(schema_text())
    assert shipped_schema == schema
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(records)] == []
    record = records[0]
    for broken in (
        {k: v for k, v in record.items() if k != "kind"},
        {**record, "author": "Dan"},  # stories carry no author
        {**record, "theme": "weather"},
        {**record, "photo": "../etc/passwd"},
        {**record, "title_sl": None, "title_en": None},
    ):
        assert not validator.is_valid([broken]), broken
    properties = schema["items"]["properties"]  # type: ignore[index]
    for field in properties:
        assert f"`{field}`" in readme, f"the README does not document {field}"
    assert "stories.schema.json" in readme


async def test_a_coordinator_corrects_a_residents_story_before_approving(bot: Harness) -> None:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = await seed_resident(bot, COORDINATOR, "Katja", "sl")
    ana = await seed_resident(bot, 721, "Ana", "sl", topics=("culture",))
    await ana.send("/zgodba")
    await ana.send("Mural v podhodu")
    await ana.send("Poslikali smo podhod, pokličite me na 041 123 456.")
    await ana.click("Kultura in ustvarjalnost")
    await ana.click("Brez fotografije")
    await ana.click("📨 Oddaj")
    card = await eventually(
        lambda: next((m for m in group_messages(bot) if "Mural v podhodu" in (m.text or "")), None)
    )
    await coord.click("✏️ Uredi", card)
    assert last_answer(bot) == "Nadaljujte v zasebnem klepetu z botom."
    await coord.click("Besedilo")
    assert "Zdaj se glasi:\n\nPoslikali smo podhod, pokličite me na 041 123 456." in coord.last.text
    await coord.send("x" * 3001)
    assert "največ 3000 znakov" in coord.last.text
    await coord.send("Poslikali smo podhod.")
    fixed = coord.last
    assert "Poslikali smo podhod." in fixed.text and "041" not in fixed.text
    await coord.click("✅ Odobri", fixed)
    delivered = await ana.wait_for_message("vam pošilja projekt MAGNET")
    assert "Mural v podhodu" in delivered.text and "041" not in delivered.text
    [entry] = await recent_entries(bot.services.sessions, "story.edit")
    assert entry.details == {"field": "text"}
