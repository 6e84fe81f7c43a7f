"""Another town through the emulator: its own profile (municipalities, hubs, topics, survey)
and a third language added with nothing but a catalog and a line in the profile."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from sqlalchemy import select

from bot.domain import Role
from bot.profile import default_profile_path
from handlers.screens import english_fallback
from storage.models import AuditEntry
from tests.handlers.announcements.test_compose import compose
from tests.support.harness import ADMIN_ID, onboard, running_bot
from tests.support.labs import insert_lab

ZELENGRAD = Path(__file__).parent.parent / "fixtures" / "profiles" / "zelengrad" / "profile.yaml"


async def test_another_town_onboards_labs_surveys_and_exports_in_its_own_words(
    emulator, sqlite_url: str
) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(emulator, sqlite_url, profile=str(ZELENGRAD)) as bot:
        changes = await bot.services.hubs.apply(bot.settings.town(), "test")
        assert changes == [
            "added greenhouse",
            "added mill",
            "removed celje",
            "removed prebold",
        ]
        assert await bot.services.hubs.apply(bot.settings.town(), "test") == []
        assert [h.code for h in await bot.services.hubs.list_hubs()] == ["greenhouse", "mill"]

        # Onboarding: the town's greeting, its controller, its municipalities and topics.
        zoe = bot.user(301, "Zoe", "en")
        replies = await zoe.send("/start")
        assert replies[0].text.startswith("Hi Zoe! This is the Zelengrad bot")
        assert "the Municipality of Zelengrad (privacy@zelengrad.example)" in replies[1].text
        assert "Celje" not in replies[1].text and "Prebold" not in replies[1].text
        await zoe.click("✅ I agree")
        assert zoe.last.button_labels == ["In Zelengrad", "In Borovje", "Somewhere else"]
        await zoe.click("In Borovje")
        await zoe.click("25–34")
        await zoe.click("Employed")
        assert "▫️ Clean rivers" in zoe.last.button_labels
        assert "▫️ Night life" in zoe.last.button_labels
        await zoe.click("▫️ Clean rivers")
        replies = await zoe.click("Done ✔")
        assert replies[0].text == "You follow 1 topic: Clean rivers."
        stored = await bot.services.residents.get(301)
        assert stored is not None and stored.municipality == "borovje"
        assert stored.topics == {"rivers"}

        # A Slovenian neighbour sees the town's Slovenian labels, English where it has none.
        await zala_onboards(bot)

        # A lab at the town's hub, found by its hub and theme, and signed up for.
        starts = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
        titles = ("Reka", "River day", "rivers")
        await insert_lab(bot.services.sessions, starts=starts, hub="greenhouse", titles=titles)
        await zoe.send("/labs")
        assert "The Greenhouse" in zoe.last.button_labels
        assert "Clean rivers" in zoe.last.button_labels
        await zoe.click("Clean rivers")
        await zoe.click("1. River day")
        assert "📍 The Greenhouse, Glavni trg 1, Zelengrad · map" in zoe.last.text
        assert "Clean rivers" in zoe.last.text
        await zoe.click("✍️ Sign up")
        assert any("You are signed up" in m.text for m in zoe.messages[-3:] if m.text)

        # The town's own survey: its municipality question, and the export's codes.
        assert list(bot.services.surveys.shipped) == ["zelena"]
        await bot.services.roles.grant(ADMIN_ID, 700, Role.COORDINATOR)
        await bot.services.surveys.rounds.open(700, "zelena")
        await zoe.send("/survey")
        await zoe.click("🕶 Answer anonymously")
        assert "Where do you live?" in zoe.last.text
        assert zoe.last.button_labels[:3] == ["In Zelengrad", "In Borovje", "Somewhere else"]
        await zoe.click("In Borovje")
        await zoe.click("Yes")
        await zoe.click("✅ Submit")
        exports = bot.services.exports
        plan = await exports.plan("zelena", 1)
        text = b"".join([c async for c in exports.csv_chunks(plan)]).decode("utf-8-sig")
        (row,) = csv.DictReader(io.StringIO(text))
        assert (row["municipality"], row["lives"], row["plan"]) == ("borovje", "borovje", "yes")

        async with bot.services.sessions() as session:
            audited = (
                await session.execute(select(AuditEntry).where(AuditEntry.action == "hub.profile"))
            ).scalars()
            assert sorted(a.subject or "" for a in audited) == [
                "celje",
                "greenhouse",
                "mill",
                "prebold",
            ]


async def zala_onboards(bot) -> None:  # type: ignore[no-untyped-def]
    zala = bot.user(302, "Zala", "sl")
    await zala.send("/start")
    assert "Občina Zelengrad" in zala.last.text
    await zala.click("✅ Strinjam se")
    assert zala.last.button_labels == ["V Zelengradu", "V Borovju", "Somewhere else"]
    await zala.click("V Zelengradu")
    await zala.click("18–24 let")
    await zala.click("Zaposlen/-a")
    assert {"▫️ Čiste reke", "▫️ Šole", "▫️ Night life"} <= set(zala.last.button_labels)
    await zala.click("Končano ✔")


GERMAN = {
    "Before we start: your data": "Bevor wir beginnen: Ihre Daten",
    "✅ I agree": "✅ Einverstanden",
    "No, thanks": "Nein, danke",
    "Where do you live?": "Wo wohnen Sie?",
    "How old are you?": "Wie alt sind Sie?",
    "What do you do at the moment?": "Was machen Sie zurzeit?",
    "What would you like to hear about?": "Worüber möchten Sie hören?",
    "Step %(number)d of %(count)d": "Schritt %(number)d von %(count)d",
    "Done ✔": "Fertig ✔",
    "Choose your language:": "Wählen Sie Ihre Sprache:",
}


def german_town(tmp_path: Path) -> Path:
    """The shipped profile with German added: a catalog in a directory of the town's own."""
    catalog = Catalog(locale="de", domain="messages")  # no Plural-Forms: Babel's rule for de
    for msgid, msgstr in GERMAN.items():
        catalog.add(msgid, msgstr)
    catalog.add(
        ("You follow %(count)d topic: %(topics)s.", "You follow %(count)d topics: %(topics)s."),
        ("Sie folgen %(count)d Thema: %(topics)s.", "Sie folgen %(count)d Themen: %(topics)s."),
    )
    base = tmp_path / "catalogs" / "de" / "LC_MESSAGES"
    base.mkdir(parents=True)
    with (base / "messages.po").open("wb") as fp:
        write_po(fp, catalog)
    data = yaml.safe_load(default_profile_path().read_text(encoding="utf-8"))
    data["languages"] = ["sl", "en", "de"]
    data["catalogs"] = "catalogs"
    data["topics"][0]["label"]["de"] = "Bezahlbares Wohnen"
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_a_third_language_is_a_catalog_and_a_line_in_the_profile(
    emulator, sqlite_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(emulator, sqlite_url, profile=str(german_town(tmp_path))) as bot:
        hans = bot.user(401, "Hans", "de-AT")
        replies = await hans.send("/start")
        # What the town wrote only in Slovenian and English reads English.
        assert replies[0].text.startswith("Hello, Hans!")
        assert "Bevor wir beginnen: Ihre Daten" in replies[1].text
        assert replies[1].buttons[0] == ("✅ Einverstanden", "Nein, danke")
        assert {"🌐 Slovenščina", "🌐 English"} <= set(hans.last.button_labels)
        await hans.click("✅ Einverstanden")
        assert "Schritt 1 von 4" in hans.last.text and "Wo wohnen Sie?" in hans.last.text
        await hans.click("In Celje")
        assert "Wie alt sind Sie?" in hans.last.text
        await hans.click("25–34")
        await hans.click("Employed")
        assert "Worüber möchten Sie hören?" in hans.last.text
        await hans.click("▫️ Bezahlbares Wohnen")
        await hans.click("▫️ Energy communities")
        replies = await hans.click("Fertig ✔")
        assert replies[0].text == "Sie folgen 2 Themen: Bezahlbares Wohnen, Energy communities."
        stored = await bot.services.residents.get(401)
        assert stored is not None and stored.onboarded and stored.locale is None
        assert stored.municipality == "celje"

        # /language offers all three, each named in itself; German's command menu is set.
        await hans.send("/language")
        assert "Wählen Sie Ihre Sprache:" in hans.last.text
        assert hans.last.button_labels == ["Slovenščina", "English", "Deutsch"]
        default = '{"type": "default"}'
        german = [c["command"] for c in bot.emulator.commands[(default, "de")]]
        assert german[0] == "start" and "labs" in german
        replies = await hans.click("English")
        stored = await bot.services.residents.get(401)
        assert stored is not None and stored.locale == "en"
        await hans.send("/language")
        await hans.click("Deutsch")
        stored = await bot.services.residents.get(401)
        assert stored is not None and stored.locale == "de"

        # A coordinator writing in Slovenian and English is told who reads the English text.
        await bot.services.roles.grant(ADMIN_ID, 500, Role.COORDINATOR)
        katja = bot.user(500, "Katja", "sl")
        await onboard(katja, topics=())
        await compose(katja)
        summary = katja.last.text
        assert "Prejemniki: 2 prebivalca (v slovenščini: 1, v angleščini: 0)" in summary
        assert "V teh jezikih (nemščina) bralci vidijo angleško besedilo (1 prebivalec)." in summary
        # So is one composing a lab or an official story, at its preview.
        assert english_fallback(bot.services.i18n.get("sl")) == (
            "Kdor bere v teh jezikih (nemščina), bo videl angleško besedilo."
        )


async def test_the_shipped_town_tells_no_one_of_a_fallback(bot) -> None:  # type: ignore[no-untyped-def]
    assert english_fallback(bot.services.i18n.get("sl")) is None
    await bot.services.roles.grant(ADMIN_ID, 500, Role.COORDINATOR)
    katja = bot.user(500, "Katja", "sl")
    await onboard(katja, topics=())
    await compose(katja)
    assert "Prejemniki: 1 prebivalec" in katja.last.text
    assert "angleško besedilo" not in katja.last.text
