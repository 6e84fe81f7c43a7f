"""Whatever no feature handled: unknown commands, media, stray text, stale buttons."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import MagnetContext
from handlers import screens
from handlers.common import escape, send, stale_button
from handlers.onboarding import onboarding_text

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    # TRANSLATORS: %(help)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    text = tr.gettext("I don't know that command. Send %(help)s to see what I can do.") % {
        "help": screens.command(tr, "help")
    }
    await send(update, escape(text))


async def unsupported_media(update: Update, context: MagnetContext) -> None:
    text = context.tr.gettext(
        "I can only read text and button presses, so I can't do anything with stickers, "
        "photos or files here."
    )
    await send(update, escape(text))


async def stray_text(update: Update, context: MagnetContext) -> None:
    resident = context.resident
    if resident is None:
        return
    if not resident.onboarded:
        await onboarding_text(update, context)
        return
    tr = context.tr
    await send(update, *screens.menu_screen(tr, tr.gettext("I'm not sure what you mean.")))


async def unknown_button(update: Update, context: MagnetContext) -> None:
    data = update.callback_query.data if update.callback_query else None
    await stale_button(update, context, f"unrecognised callback data {data!r}")
