"""Moderation cards in the coordinators' group (ideas, stories, residents' conversation
statements) are one message for every coordinator, so they are worded in the bot's configured
default language (MAGNET_DEFAULT_LOCALE), whatever the author's or the coordinators' own
language; what each person is told in private stays in their own language."""

from __future__ import annotations

import pytest

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from bot.emulator.state import Message
from tests.support.conversations import card, seed_yaml
from tests.support.harness import ADMIN_ID, Harness, eventually, running_bot, seed_resident

GROUP = -100950
COORDINATOR, AUTHOR = 500, 731
APPROVE = {"sl": "✅ Odobri", "en": "✅ Approve"}


def _cards(bot: Harness) -> list[Message]:
    chat = bot.emulator.chat(GROUP)
    return [m for _, m in sorted(chat.messages.items()) if m.from_bot and m.buttons]


def _labels(message: Message) -> list[str]:
    return [b["text"] for row in message.buttons for b in row]


@pytest.mark.parametrize("default", ["en", "sl"])
async def test_group_cards_are_in_the_configured_default_language(
    emulator: BotAPIEmulator, sqlite_url: str, default: str
) -> None:
    emulator.add_group(GROUP, "Koordinatorji")
    async with running_bot(
        emulator, sqlite_url, coordinator_chat_id=GROUP, default_locale=default
    ) as bot:
        await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        # The coordinator reads English, the author Slovenian: neither decides the group's.
        coord = await seed_resident(bot, COORDINATOR, "Katja", "en")
        ana = await seed_resident(bot, AUTHOR, "Ana", "sl")
        other = "sl" if default == "en" else "en"

        await ana.send("/ideja")
        await ana.send("Klopi ob Savinji")
        await ana.send("Več klopi in senc ob Savinji za starejše.")
        await ana.click("Trajnostna mobilnost")
        await ana.click("Celje")
        await ana.click("Brez fotografije")
        await ana.click("📨 Oddaj")
        idea = await eventually(
            lambda: next((m for m in _cards(bot) if "Klopi ob Savinji" in (m.text or "")), None)
        )

        await ana.send("/zgodba")
        await ana.send("Mural v podhodu")
        await ana.send("Poslikali smo podhod pod železnico.")
        await ana.click("Kultura in ustvarjalnost")
        await ana.click("Brez fotografije")
        await ana.click("📨 Oddaj")
        story = await eventually(
            lambda: next((m for m in _cards(bot) if "Mural v podhodu" in (m.text or "")), None)
        )

        coord.timeout = 90
        await coord.send_document("talk.yaml", seed_yaml())
        await ana.send("/pogovor")
        await ana.click("✍️ Dodaj svojo izjavo", card(ana))
        await ana.send("Mestni avtobus naj vozi do Prebolda vsako uro.")
        assert "Hvala! Vašo izjavo bo prebral koordinator" in ana.last.text
        statement = await eventually(
            lambda: next((m for m in _cards(bot) if "vozi do Prebolda" in (m.text or "")), None)
        )

        for name, message in (("idea", idea), ("story", story), ("statement", statement)):
            labels = _labels(message)
            assert APPROVE[default] in labels, (name, labels)
            assert APPROVE[other] not in labels, (name, labels)
        # A decision in the group: the author hears of it in her own language.
        await coord.click(APPROVE[default], idea)
        await ana.wait_for_message("je objavljena")
