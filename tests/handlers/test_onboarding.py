"""Onboarding end to end: the real Application, PTB's HTTP client, the emulator, a database."""

from __future__ import annotations

import pytest

from bot.domain import Role, Step
from tests.support.harness import Harness, onboard


async def test_a_slovenian_resident_onboards(bot_on: Harness) -> None:
    ana = bot_on.user(101, "Ana", "sl")
    replies = await ana.send("/start")
    assert [e.kind for e in replies] == ["bot_message", "bot_message"]
    assert replies[0].text.startswith("Pozdravljeni, Ana!")
    assert "Preden začnemo: vaši podatki" in replies[1].text
    assert replies[1].buttons[0] == ("✅ Strinjam se", "Ne, hvala")

    replies = await ana.click("✅ Strinjam se")
    assert "Soglasje ste dali" in replies[0].text  # the consent message keeps its text
    assert "Korak 1 od 4" in ana.last.text and "Kje živite?" in ana.last.text
    await ana.click("Prebold")
    assert "Koliko ste stari?" in ana.last.text
    await ana.click("25–34 let")
    assert "S čim se trenutno ukvarjate?" in ana.last.text
    await ana.click("Samozaposlen/-a")
    assert "O čem bi radi prejemali novice?" in ana.last.text
    await ana.click("Energetske skupnosti")
    assert "✅ Energetske skupnosti" in ana.last.button_labels
    await ana.click("Kultura in ustvarjalnost")
    replies = await ana.click("Končano ✔")
    assert replies[0].text == "Spremljate 2 temi: Kultura in ustvarjalnost, Energetske skupnosti."
    assert ana.last.text.startswith("Vse je pripravljeno, Ana!")
    assert "⚙️ Nastavitve" in ana.last.button_labels

    stored = await bot_on.services.residents.get(101)
    assert stored is not None and stored.onboarded
    assert (stored.municipality, stored.age_band, stored.status) == (
        "prebold",
        "25_34",
        "self_employed",
    )
    assert stored.topics == {"energy", "culture"}
    assert stored.locale is None  # Telegram's language was enough; nothing chosen


async def test_an_english_resident_onboards(bot: Harness) -> None:
    ben = bot.user(102, "Ben", "en-GB")
    replies = await ben.send("/start")
    assert replies[0].text.startswith("Hello, Ben!")
    assert "Before we start: your data" in replies[1].text
    await ben.click("✅ I agree")
    await ben.click("Abroad")
    await ben.click("I'd rather not say")
    await ben.click("Looking for work")
    replies = await ben.click("Done ✔")
    assert "You haven't chosen any topics" in replies[0].text
    assert ben.last.text.startswith("You're all set, Ben!")
    stored = await bot.services.residents.get(102)
    assert stored is not None and stored.age_band == "na" and stored.topics == frozenset()


@pytest.mark.parametrize("language_code", ["de", "hr", "en-US"])
async def test_other_languages_get_english(bot: Harness, language_code: str) -> None:
    user = bot.user(103, "Ivo", language_code)
    replies = await user.send("/start")
    assert replies[0].text.startswith("Hello, Ivo!")


async def test_no_language_code_means_the_towns_default(bot: Harness) -> None:
    user = bot.user(103, "Ivo", None)
    replies = await user.send("/start")
    assert replies[0].text.startswith("Pozdravljeni, Ivo!")


async def test_html_in_a_name_is_escaped(bot: Harness) -> None:
    user = bot.user(104, "<b>Eve</b> & co", "en")
    replies = await user.send("/start")
    assert replies[0].text.startswith("Hello, <b>Eve</b> & co!")


async def test_nothing_but_the_id_before_consent_and_nothing_after_declining(bot: Harness) -> None:
    user = bot.user(105, "Nika", "sl")
    await user.send("/start")
    stored = await bot.services.residents.get(105)
    assert stored is not None and stored.consent_version is None and stored.step == Step.CONSENT
    replies = await user.click("Ne, hvala")
    assert "o vas ne bomo shranili ničesar" in replies[-1].text
    stored = await bot.services.residents.get(105)
    assert stored is not None and stored.step == Step.DECLINED
    assert (stored.municipality, stored.topics, stored.consent_version) == (None, frozenset(), None)
    replies = await user.send("živjo")
    assert "o vas ne bomo shranili ničesar" in replies[0].text
    replies = await user.send("/start")  # changed their mind
    assert "Nadaljujmo" in replies[0].text and "Preden začnemo" in replies[1].text
    await user.click("✅ Strinjam se")
    assert "Kje živite?" in user.last.text


@pytest.mark.parametrize(
    ("clicks", "expected_question"),
    [
        ((), "Preden začnemo"),
        (("✅ Strinjam se",), "Kje živite?"),
        (("✅ Strinjam se", "V Celju"), "Koliko ste stari?"),
        (("✅ Strinjam se", "V Celju", "18–24 let"), "S čim se trenutno ukvarjate?"),
        (("✅ Strinjam se", "V Celju", "18–24 let", "Drugo"), "O čem bi radi prejemali novice?"),
    ],
)
async def test_typing_at_each_step_re_asks_politely(
    bot: Harness, clicks: tuple[str, ...], expected_question: str
) -> None:
    user = bot.user(106, "Tina", "sl")
    await user.send("/start")
    for label in clicks:
        await user.click(label)
    step_before = (await bot.services.residents.get(106)).step
    replies = await user.send("Celje, mislim")
    assert replies[0].text == "Prosimo, izberite eno od spodnjih možnosti."
    assert expected_question in replies[1].text and replies[1].buttons
    assert (await bot.services.residents.get(106)).step == step_before  # nothing lost or skipped
    replies = await user.send_sticker()
    assert "Razumemo le besedilo" in replies[0].text


@pytest.mark.parametrize(
    "forged",
    [
        "onboard:v1:answer:municipality:ljubljana",  # not an option
        "onboard:v1:answer:status:student",  # a later step
        "onboard:v1:topic:football",
        "onboard:v1:consent:maybe",
        "ob:v2:consent:yes",  # another version
        "onboard:v1:language:de",
        "onboard:v1:nonsense",
        "admin:v1:grant:1",
        "x" * 64,
        "",
    ],
)
async def test_forged_callback_data_is_refused_politely(bot: Harness, forged: str) -> None:
    user = bot.user(107, "Maks", "sl")
    await user.send("/start")
    await user.click("✅ Strinjam se")
    replies = await user.click("V Celju", data=forged)
    answers = [e for e in replies if e.kind == "callback_answer"]
    assert answers and answers[0].text == "Ta gumb ni več veljaven."
    stored = await bot.services.residents.get(107)
    assert stored is not None and stored.step == Step.MUNICIPALITY and stored.municipality is None


async def test_a_stale_button_from_an_earlier_step(bot: Harness) -> None:
    user = bot.user(108, "Luka", "sl")
    await user.send("/start")
    await user.click("✅ Strinjam se")
    question = user.last
    await user.click("V Celju")
    # The same message now shows the age question; press the old municipality button's data.
    replies = await user.click("18–24 let", question, data="onboard:v1:answer:municipality:prebold")
    assert any(e.kind == "callback_answer" and "ni več veljaven" in e.text for e in replies)
    assert "Koliko ste stari?" in user.last.text
    stored = await bot.services.residents.get(108)
    assert stored is not None and stored.municipality == "celje"


async def test_pressing_agree_twice(bot: Harness) -> None:
    user = bot.user(109, "Eva", "sl")
    await user.send("/start")
    consent = user.last
    await user.click("✅ Strinjam se")
    replies = await user.click("✅ Strinjam se", consent, data="onboard:v1:consent:yes")
    assert any(e.kind == "callback_answer" and e.text == "Soglasje ste že dali." for e in replies)


async def test_a_restart_resumes_where_the_resident_was(bot: Harness) -> None:
    user = bot.user(110, "Jan", "sl")
    await user.send("/start")
    await user.click("✅ Strinjam se")
    await user.click("V Celju")
    age_question = user.last
    await bot.restart()
    # The button shown before the restart still works: the state is in the database.
    await user.click("35–49 let", age_question)
    assert "S čim se trenutno ukvarjate?" in user.last.text
    await bot.restart()
    replies = await user.send("/start")
    assert replies[0].text == "Nadaljujmo, kjer smo ostali."
    assert "Korak 3 od 4" in replies[1].text
    await user.click("Upokojen/-a")
    await user.click("Končano ✔")
    stored = await bot.services.residents.get(110)
    assert stored is not None and stored.onboarded and stored.age_band == "35_49"


async def test_a_deep_link_survives_onboarding(bot: Harness) -> None:
    user = bot.user(111, "Pia", "en")
    await user.send("/start hub_prebold")
    assert (await bot.services.residents.get(111)).start_payload is None  # not stored yet
    await user.click("✅ I agree")
    await bot.restart()  # and survives a restart, now that consent allows storing it
    await user.click("Prebold")
    await user.click("under 18")
    await user.click("Pupil or student")
    replies = await user.click("Done ✔")
    assert replies[-1].text.startswith("MiniHub Prebold\n📍 3312 Prebold")
    assert (await bot.services.residents.get(111)).start_payload is None  # used once


async def test_deep_links_for_an_onboarded_resident(bot: Harness) -> None:
    user = bot.user(112, "Rok", "sl")
    await onboard(user)
    replies = await user.send("/start hub_celje")
    assert replies[0].text.startswith("MAGNET Hub Celje")
    replies = await user.send("/start lab_12")
    assert "Te delavnice ne najdemo" in replies[0].text
    replies = await user.send("/start hub_maribor")
    assert replies[0].text == "Tega stičišča ne poznamo."
    replies = await user.send("/start <script>")
    assert replies[0].text.startswith("Spet pozdravljeni, Rok!")


async def test_language_switch_on_the_consent_screen_keeps_the_link(bot: Harness) -> None:
    user = bot.user(113, "Ana", "sl")
    await user.send("/start hub_celje")
    replies = await user.click("🌐 English")
    assert "Before we start: your data" in replies[-1].text
    await user.click("✅ I agree")
    await user.click("Celje")
    await user.click("18–24")
    await user.click("Employed")
    replies = await user.click("Done ✔")
    assert replies[-1].text.startswith("MAGNET Hub Celje")
    assert (await bot.services.residents.get(113)).locale == "en"


async def test_a_new_consent_version_asks_again(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.services.residents as residents_module

    user = bot.user(114, "Zala", "sl")
    await onboard(user)
    monkeypatch.setattr(residents_module, "CONSENT_VERSION", 2)
    replies = await user.send("/nastavitve")
    assert replies[0].text == "Najprej dokončajmo nastavitev vašega profila."
    assert "Posodobili smo pravila" in replies[1].text
    await user.click("✅ Strinjam se")
    assert user.last.text.startswith("Vse je pripravljeno, Zala!")
    stored = await bot.services.residents.get(114)
    assert stored is not None and stored.consent_version == 2 and stored.municipality == "celje"


async def test_admins_from_the_environment_have_the_admin_role(bot: Harness) -> None:
    from tests.support.harness import ADMIN_ID

    admin = bot.user(ADMIN_ID, "Maja", "sl")
    await admin.send("/start")
    stored = await bot.services.residents.get(ADMIN_ID)
    assert stored is not None and Role.ADMIN in stored.roles
