"""/dashboard (/nadzorna_plosca) through the emulator: a Mini App button for coordinators and
staff, a polite refusal for residents, and a browser link where the address is not HTTPS."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.dashboard.auth import validate_init_data
from bot.domain import Role
from bot.emulator import BotAPIEmulator
from bot.emulator.markup import BadRequest, reply_markup
from tests.support.harness import ADMIN_ID, TOKEN, running_bot, seed_resident

PUBLIC = "https://magnet.example"


async def test_coordinators_and_staff_get_the_mini_app(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    async with running_bot(emulator, sqlite_url, http_port=0, public_url=PUBLIC) as bot:
        resident = await seed_resident(bot, 8301, "Rok", "sl")
        await resident.send("/nadzorna_plosca")
        assert (
            resident.last.text
            == "Oprostite, nadzorna plošča je namenjena le koordinatorjem in uslužbencem."
        )
        assert not resident.last.buttons

        coordinator = await seed_resident(bot, 8302, "Ana", "sl")
        await bot.services.roles.grant(ADMIN_ID, coordinator.id, Role.COORDINATOR)
        await coordinator.send("/nadzorna_plosca")
        [[button]] = coordinator.last.buttons
        assert button == {
            "text": "📊 Odpri nadzorno ploščo",
            "web_app": {"url": f"{PUBLIC}/dashboard/"},
        }
        assert emulator.menu_buttons[coordinator.id] == {
            "type": "web_app",
            "text": "Nadzorna plošča",
            "web_app": {"url": f"{PUBLIC}/dashboard/"},
        }
        # Opening it, Telegram hands the page data the server can check.
        link = coordinator.open_web_app("📊 Odpri nadzorno ploščo")
        assert link.startswith(f"{PUBLIC}/dashboard/#")
        fragment = parse_qs(urlsplit(link).fragment)
        user = validate_init_data(fragment["tgWebAppData"][0], TOKEN, max_age_seconds=60)
        assert (user.telegram_id, user.language_code) == (coordinator.id, "sl")

        # The menu button goes back to the plain one when the role is taken away.
        admin = bot.user(ADMIN_ID, "Maja", "sl")
        await admin.send(f"/odvzemi {coordinator.id} koordinator")
        assert emulator.menu_buttons[coordinator.id] == {"type": "default"}

        staff = await seed_resident(bot, 8303, "Sam", "en")
        await bot.services.roles.grant(ADMIN_ID, staff.id, Role.STAFF)
        await staff.send("/dashboard")
        assert staff.last.button_labels == ["📊 Open the dashboard"]
        await staff.send("/help")
        assert "/dashboard" in staff.last.text


async def test_without_https_the_staff_token_link_is_offered(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    async with running_bot(
        emulator, sqlite_url, http_port=0, public_url="http://127.0.0.1:8080"
    ) as bot:
        coordinator = await seed_resident(bot, 8304, "Ben", "en")
        await bot.services.roles.grant(ADMIN_ID, coordinator.id, Role.COORDINATOR)
        await coordinator.send("/dashboard")
        assert "only from an HTTPS address" in coordinator.last.text
        assert "http://127.0.0.1:8080/dashboard/login" in coordinator.last.text
        assert not coordinator.last.buttons


async def test_without_a_public_address_it_says_what_is_missing(
    emulator: BotAPIEmulator, sqlite_url: str
) -> None:
    async with running_bot(emulator, sqlite_url) as bot:
        coordinator = await seed_resident(bot, 8305, "Eva", "sl")
        await bot.services.roles.grant(ADMIN_ID, coordinator.id, Role.COORDINATOR)
        await coordinator.send("/dashboard")
        assert "MAGNET_PUBLIC_URL" in coordinator.last.text


def test_the_emulator_refuses_mini_apps_off_https() -> None:
    button = {"text": "Open", "web_app": {"url": "http://magnet.example/dashboard/"}}
    with pytest.raises(BadRequest, match="Only HTTPS links are allowed"):
        reply_markup({"inline_keyboard": [[button]]})
    button["web_app"]["url"] = "https://magnet.example/dashboard/"
    assert reply_markup({"inline_keyboard": [[button]]}) is not None
