"""/help (/pomoc) and the main menu's buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.codec import NS, decode, matcher
from bot.commands import COMMANDS
from bot.context import MagnetContext
from bot.domain import N_, Role
from handlers import screens
from handlers.common import answer, bold, command, escape, send, stale_button
from handlers.language import choose_language
from handlers.settings import show_settings

SECTIONS = (
    (None, None),
    (Role.COORDINATOR, N_("For coordinators")),
    (Role.STAFF, N_("For staff")),
    (Role.ADMIN, N_("For administrators")),
)


def help_text(context: MagnetContext) -> str:
    tr, resident = context.tr, context.resident
    lines = [bold(tr.gettext("MAGNET bot: help"))]
    for role, heading in SECTIONS:
        if role is not None and (resident is None or not resident.has_role(role)):
            continue
        lines.append("")
        if heading is not None:
            lines.append(bold(tr.gettext(heading)))
        lines += [
            f"{screens.command(tr, c.name)} – {escape(tr.gettext(c.help))}"
            for c in COMMANDS
            if c.role == role
        ]
    about = tr.gettext(
        "The bot is run by the Municipality of Celje and the Municipality of Prebold as part "
        "of the MAGNET project. Your data is used only as described when you agreed."
    )
    lines += ["", escape(about)]
    return "\n".join(lines)


async def show_help(update: Update, context: MagnetContext) -> None:
    await answer(update)
    await send(update, help_text(context), screens.main_menu(context.tr))


async def menu_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    action = callback.action if callback else None
    if action == "settings":
        await show_settings(update, context)
    elif action == "language":
        await choose_language(update, context)
    elif action == "help":
        await show_help(update, context)
    else:
        await stale_button(update, context, f"menu action {action}")


HANDLERS = [
    command("help", show_help),
    CallbackQueryHandler(menu_button, pattern=matcher(NS.MENU)),
]
