"""/help (/pomoc) and the main menu's buttons."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Callback
from bot.commands import COMMANDS
from bot.context import MagnetContext
from bot.domain import N_, Role
from handlers import screens
from handlers.common import ButtonHandler, Handler, answer, bold, button, command, escape, send
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
        for c in COMMANDS:
            # A command of two roles is listed once: under its first role if the reader has it.
            second = c.also == role and (resident is None or not resident.has_role(c.role))
            if c.role == role or second:
                own = tr.town.command_text(c.name, "help", tr.locale)
                described = escape(own or tr.gettext(c.help))  # msgids from bot.commands
                lines.append(f"{screens.command(tr, c.name)} – {described}")
    controller, _, _ = tr.town.controller(tr.locale)
    about = tr.town.text("about", tr.locale) or tr.gettext(
        "The bot is run by %(controller)s as part of the %(project)s project. Your data is "
        "used only as described when you agreed."
    ) % {"controller": controller, "project": tr.town.project}
    lines += ["", escape(about)]
    return "\n".join(lines)


async def show_help(update: Update, context: MagnetContext) -> None:
    await answer(update)
    await send(update, help_text(context), screens.main_menu(context.tr))


def _shows(screen: Handler) -> ButtonHandler:
    """A main-menu button that opens what its command opens."""

    async def pressed(update: Update, context: MagnetContext, callback: Callback) -> None:
        await screen(update, context)

    return pressed


HANDLERS = [
    command("help", show_help),
    button(NS.MENU, "settings", _shows(show_settings)),
    button(NS.MENU, "language", _shows(choose_language)),
    button(NS.MENU, "help", _shows(show_help)),
]
