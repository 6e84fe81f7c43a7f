"""/dashboard (/nadzorna_plosca) for coordinators and staff: opens the dashboard Mini App, or,
where the bot's address is not HTTPS (Telegram opens Mini Apps only from HTTPS), says so and
gives the address to open in a browser with a staff token."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.context import MagnetContext
from bot.domain import Role
from handlers.common import command, escape, send

log = logging.getLogger(__name__)


async def open_dashboard(update: Update, context: MagnetContext) -> None:
    tr, resident = context.tr, context.resident
    if resident is None or not (
        resident.has_role(Role.COORDINATOR) or resident.has_role(Role.STAFF)
    ):
        log.warning("dashboard asked for without a coordinator or staff role")
        await send(
            update, escape(tr.gettext("Sorry, the dashboard is for coordinators and staff."))
        )
        return
    settings = context.services.settings
    url = settings.dashboard_url
    if url is None or settings.http_port is None:
        text = tr.gettext(
            "The dashboard is not set up on this bot yet: an administrator gives it a public "
            "address (MAGNET_PUBLIC_URL) and an HTTP port (MAGNET_HTTP_PORT)."
        )
        await send(update, escape(text))
        return
    if not url.startswith("https://"):
        text = tr.gettext(
            "Telegram opens the dashboard inside the app only from an HTTPS address, and this "
            "bot's address is not one. You can open it in a browser and sign in with a staff "
            "token: %(url)s"
        ) % {"url": url + "login"}
        await send(update, escape(text))
        return
    label = tr.gettext("📊 Open the dashboard")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, web_app=WebAppInfo(url))]])
    text = tr.gettext(
        "The dashboard shows the survey figures, the labs and the reach of announcements, "
        "in your language."
    )
    await send(update, escape(text), markup)
    chat = update.effective_chat
    assert chat is not None
    try:  # the chat's menu button opens it too from now on
        await context.bot.set_chat_menu_button(
            chat.id, MenuButtonWebApp(tr.gettext("Dashboard"), WebAppInfo(url))
        )
    except TelegramError as exc:
        log.info("could not set the dashboard menu button: %s", exc)


async def close_dashboard_menu(bot: ExtBot[None], chat_id: int) -> None:
    """Someone whose last role was taken away gets the plain menu button back."""
    try:
        await bot.set_chat_menu_button(chat_id, MenuButtonDefault())
    except TelegramError as exc:
        log.info("could not reset the menu button: %s", exc)


HANDLERS = [command("dashboard", open_dashboard)]
