"""/settings, /language, roles, fallbacks, blocking and the error handler, end to end."""

from __future__ import annotations

import json
import logging

import pytest

from bot.domain import Role, Step
from bot.services.audit import recent_entries
from tests.support.harness import ADMIN_ID, Harness, onboard


async def test_settings_change_each_field(bot: Harness) -> None:
    ana = bot.user(201, "Ana", "sl")
    await onboard(ana)
    replies = await ana.send("/nastavitve")
    assert "Občina: Celje" in replies[0].text and "Soglasje dano" in replies[0].text
    await ana.click("📍 Občina")
    assert "• V Celju" in ana.last.button_labels  # the current answer is marked
    replies = await ana.click("V tujini")
    assert any(e.kind == "callback_answer" and e.text == "Shranjeno." for e in replies)
    assert "Občina: V tujini" in ana.last.text
    await ana.click("🎂 Starost")
    await ana.click("65 let ali več")
    await ana.click("💼 Status")
    await ana.click("Upokojen/-a")
    await ana.click("🏷 Teme")
    await ana.click("Cenovno dostopna stanovanja")  # off
    await ana.click("Trajnostna mobilnost")  # on
    await ana.click("« Nazaj")
    assert "Teme: Trajnostna mobilnost" in ana.last.text
    replies = await ana.click("✖ Zapri")
    assert replies[-1].text == "Nastavitve so shranjene. ✅"
    stored = await bot.services.residents.get(201)
    assert stored is not None
    assert (stored.municipality, stored.age_band, stored.status, stored.topics) == (
        "abroad",
        "65p",
        "retired",
        {"mobility"},
    )
    assert stored.step == Step.DONE


async def test_settings_before_onboarding_resumes_it(bot: Harness) -> None:
    user = bot.user(202, "Bor", "en")
    await user.send("/start")
    await user.click("✅ I agree")
    replies = await user.send("/settings")
    assert replies[0].text == "Let's finish setting you up first."
    assert "Where do you live?" in replies[1].text


async def test_withdrawing_consent_deletes_the_profile(bot: Harness) -> None:
    user = bot.user(203, "Iza", "sl")
    await onboard(user)
    await user.send("/settings")  # the English command works for Slovenian residents too
    await user.click("Prekliči soglasje")
    assert "Želite nadaljevati?" in user.last.text
    replies = await user.click("Da, prekliči")
    assert "profil izbrisan" in replies[-1].text
    stored = await bot.services.residents.get(203)
    assert stored is not None and stored.consent_version is None and stored.municipality is None
    assert stored.topics == frozenset()
    assert [e.action for e in await recent_entries(bot.services.sessions, "consent.withdraw")] == [
        "consent.withdraw"
    ]


async def test_language_switches_both_ways(bot: Harness) -> None:
    user = bot.user(204, "Ana", "sl")
    await onboard(user)
    await user.send("/jezik")
    assert user.last.text == "Izberite jezik:"
    replies = await user.click("English")
    assert replies[-2].text == "I will speak English with you from now on."
    assert replies[-1].text == "What would you like to do?"
    replies = await user.send("/help")
    assert "/settings – change where you live" in replies[0].text
    await user.send("/language")
    replies = await user.click("Slovenščina")
    assert replies[-2].text == "Odslej vam bomo pisali v slovenščini."
    await user.send("/nastavitve")
    assert "Jezik: slovenščina" in user.last.text  # lowercase after a label, as Slovenian writes
    replies = await user.send("/pomoc")
    assert "/nastavitve – sprememba kraja bivanja" in replies[0].text
    # The resident's own menu follows the language they chose.
    scope = json.dumps({"chat_id": 204, "type": "chat"}, sort_keys=True)
    menu = bot.emulator.commands[(scope, "")]
    assert [c["command"] for c in menu] == [
        "start",
        "anketa",
        "pogovor",
        "delavnice",
        "moje_delavnice",
        "ideja",
        "ideje",
        "zgodbe",
        "zgodba",
        "nastavitve",
        "moji_podatki",
        "pozabi",
        "jezik",
        "pomoc",
    ]


async def test_language_can_be_chosen_before_consent(bot: Harness) -> None:
    user = bot.user(205, "Tom", "sl")
    await user.send("/start")
    await user.send("/language")
    replies = await user.click("English")
    assert "Before we start: your data" in replies[-1].text
    stored = await bot.services.residents.get(205)
    assert stored is not None and stored.locale == "en" and stored.consent_version is None


async def test_command_menus_are_set_per_language(bot: Harness) -> None:
    default = json.dumps({"type": "default"}, sort_keys=True)
    english = [c["command"] for c in bot.emulator.commands[(default, "")]]
    slovenian = [c["command"] for c in bot.emulator.commands[(default, "sl")]]
    assert english == [
        "start",
        "survey",
        "conversation",
        "labs",
        "mylabs",
        "idea",
        "ideas",
        "stories",
        "story",
        "settings",
        "mydata",
        "forget",
        "language",
        "help",
    ]
    assert slovenian == [
        "start",
        "anketa",
        "pogovor",
        "delavnice",
        "moje_delavnice",
        "ideja",
        "ideje",
        "zgodbe",
        "zgodba",
        "nastavitve",
        "moji_podatki",
        "pozabi",
        "jezik",
        "pomoc",
    ]
    descriptions = [c["description"] for c in bot.emulator.commands[(default, "sl")]]
    assert "Vaš profil, teme in soglasje" in descriptions


async def test_a_resident_cannot_grant_roles(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    user = bot.user(206, "Ben", "en")
    with caplog.at_level(logging.WARNING):
        replies = await user.send("/grant 206 coordinator")
    assert replies[0].text == "Sorry, only administrators can do that."
    assert "grant_role tried without the admin role" in caplog.text
    assert "206" not in caplog.text  # the log line carries the database id, not the Telegram id
    for command in ("/revoke 206 staff", "/roles", "/dodeli 206 koordinator"):
        replies = await user.send(command)
        assert replies[0].text == "Sorry, only administrators can do that."
    assert await recent_entries(bot.services.sessions, "role.grant") == []
    stored = await bot.services.residents.get(206)
    assert stored is not None and stored.roles == frozenset()


async def test_an_admin_grants_and_revokes_roles(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Maja", "sl")
    replies = await admin.send("/dodeli 301 koordinator")
    assert replies[0].text == "Opravljeno: 301 ima zdaj vlogo »koordinator«."
    replies = await admin.send("/grant 301 coordinator")
    assert replies[0].text == "301 že ima vlogo »koordinator«."
    await admin.send("/grant 302 staff")
    replies = await admin.send("/vloge")
    assert replies[0].text.startswith("2 osebi imata vlogo:")
    assert "• 301: koordinator" in replies[0].text and "• 302: uslužbenec" in replies[0].text
    replies = await admin.send("/odvzemi 301 koordinator")
    assert replies[0].text == "Opravljeno: 301 nima več vloge »koordinator«."
    replies = await admin.send("/revoke 301 coordinator")
    assert replies[0].text == "301 nima vloge »koordinator«."
    for bad in (
        "/grant",
        "/grant abc staff",
        "/grant 5 admin",
        "/grant 5 boss",
        "/grant 1 2 3",
        "/grant ² staff",
        f"/grant {2**64} staff",
    ):
        replies = await admin.send(bad)
        assert replies[0].text.startswith("Uporaba: /dodeli <Telegram ID> <vloga>")
    entries = await recent_entries(bot.services.sessions)
    roles = [
        (e.action, e.subject, e.details["role"]) for e in entries if e.action.startswith("role")
    ]
    assert roles == [
        ("role.revoke", "301", "coordinator"),
        ("role.grant", "302", "staff"),
        ("role.grant", "301", "coordinator"),
    ]
    coordinator = bot.user(301, "Ana", "sl")
    await coordinator.send("/start")
    stored = await bot.services.residents.get(301)
    assert stored is not None and stored.roles == frozenset()
    stored = await bot.services.residents.get(ADMIN_ID)
    assert stored is not None and stored.has_role(Role.ADMIN)


async def test_fallbacks_answer_everything(bot: Harness) -> None:
    user = bot.user(207, "Lea", "sl")
    await onboard(user)
    replies = await user.send("/neznano")
    assert replies[0].text == "Tega ukaza ne poznamo. Pošljite /pomoc in si oglejte, kaj znamo."
    replies = await user.send("kje je delavnica?")
    assert replies[0].text.startswith("Ne razumemo povsem, kaj mislite.")
    assert "⚙️ Nastavitve" in [label for row in replies[0].buttons for label in row]
    replies = await user.send_photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    assert "Razumemo le besedilo" in replies[0].text
    replies = await user.click("⚙️ Nastavitve", data="lab:v1:join:42")  # a feature not built yet
    assert [e.text for e in replies if e.kind == "callback_answer"] == ["Ta gumb ni več veljaven."]
    replies = await user.click("⚙️ Nastavitve", data="settings:v1:teleport")
    assert [e.text for e in replies if e.kind == "callback_answer"] == ["Ta gumb ni več veljaven."]
    replies = await user.click("⚙️ Nastavitve", data="settings:v1:answer:municipality:mars")
    assert [e.text for e in replies if e.kind == "callback_answer"] == ["Ta gumb ni več veljaven."]


async def test_blocking_marks_the_resident_inactive(bot: Harness) -> None:
    user = bot.user(208, "Tim", "sl")
    await onboard(user)
    await user.block()
    stored = await bot.services.residents.get(208)
    assert stored is not None and not stored.is_active
    await user.unblock()
    stored = await bot.services.residents.get(208)
    assert stored is not None and stored.is_active


async def test_an_error_gets_a_polite_reply_and_a_log_line(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    user = bot.user(209, "Vid", "en")
    await user.send("/start")
    for label in ("✅ I agree", "Celje", "18–24", "Employed", "Done ✔"):
        await user.click(label)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.services.residents, "answer", broken)
    await user.send("/settings")
    await user.click("📍 Municipality")
    with caplog.at_level(logging.ERROR):
        replies = await user.click("Prebold")
    assert [e.text for e in replies if e.kind == "callback_answer"] == [
        "Sorry, something went wrong on our side. Please try again in a moment."
    ]
    assert "error while handling update" in caplog.text and "database on fire" in caplog.text
    monkeypatch.setattr(bot.services.residents, "touch", broken)
    with caplog.at_level(logging.ERROR):
        replies = await user.send("/help")
    assert (
        replies[0].text == "Sorry, something went wrong on our side. Please try again in a moment."
    )
    monkeypatch.undo()
    replies = await user.send("/help")  # and the bot carries on
    assert "MAGNET bot: help" in replies[0].text


async def test_group_messages_do_not_make_residents(bot: Harness) -> None:
    from bot.emulator.state import Message, now

    group = bot.emulator.add_group(-1001, "Koordinatorji")
    someone = bot.emulator.add_user(210, "Ana", "sl")
    message = Message(group.new_message_id(), group, someone, now(), text="živjo vsi")
    group.messages[message.message_id] = message
    update_id = await bot.emulator.push_update("message", message.as_dict())
    await bot.emulator.wait_processed(update_id)
    assert await bot.services.residents.get(210) is None
    assert [m for m in group.messages.values() if m.from_bot] == []


async def test_the_command_menu_follows_a_grant_and_a_revoke_at_once(bot: Harness) -> None:
    ana = bot.user(303, "Ana", "sl")
    await onboard(ana)
    admin = bot.user(ADMIN_ID, "Maja", "sl")
    scope = json.dumps({"chat_id": 303, "type": "chat"}, sort_keys=True)

    def menu() -> list[str]:
        return [c["command"] for c in bot.emulator.commands.get((scope, ""), [])]

    await admin.send("/dodeli 303 koordinator")
    assert {"obvesti", "nova_delavnica", "anketa"} <= set(menu())
    await admin.send("/odvzemi 303 koordinator")
    assert "obvesti" not in menu() and "anketa" in menu()
    await admin.send("/dodeli 999999 osebje")  # never opened the chat: no menu to set yet
    assert (
        bot.emulator.commands.get(
            (json.dumps({"chat_id": 999999, "type": "chat"}, sort_keys=True), "")
        )
        is None
    )
