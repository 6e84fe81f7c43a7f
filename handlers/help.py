"""/help (/pomoc) and the main menu's buttons."""

from __future__ import annotations

from telegram import Update

from bot.codec import decode
from bot.context import MagnetContext
from bot.domain import Role
from handlers import screens
from handlers.common import answer, bold, escape, send, stale_button
from handlers.language import choose_language
from handlers.settings import show_settings


def help_text(context: MagnetContext) -> str:
    tr = context.tr

    def line(name: str, text: str) -> str:
        return f"{screens.command(tr, name)} – {escape(text)}"

    lines = [
        bold(tr.gettext("MAGNET bot: help")),
        "",
        line("start", tr.gettext("start, or come back to the main menu")),
        line("survey", tr.gettext("the survey on why people stay, leave or come back")),
        line("labs", tr.gettext("upcoming labs and events: sign up, join the waitlist")),
        line("mylabs", tr.gettext("your sign-ups, waitlist places and past labs")),
        line(
            "settings",
            tr.gettext(
                "change where you live, your age group, status and topics, or withdraw consent"
            ),
        ),
        line("language", tr.gettext("switch between Slovenian and English")),
        line("mydata", tr.gettext("everything the bot stores about you, as a file")),
        line("forget", tr.gettext("erase everything the bot stores about you")),
        line("help", tr.gettext("this message")),
    ]
    resident = context.resident
    if resident is not None and resident.has_role(Role.COORDINATOR):
        lines += [
            "",
            bold(tr.gettext("For coordinators")),
            line(
                "announce",
                tr.gettext("compose an announcement, preview it, send it or schedule it"),
            ),
            line(
                "announcements", tr.gettext("see scheduled and running announcements, cancel them")
            ),
            line("surveys", tr.gettext("survey rounds: open, close, invite residents, responses")),
            line("digest", tr.gettext("the survey digest now, in the coordinators' channel")),
            line("newlab", tr.gettext("create a lab or hub event step by step, then publish it")),
            line("roster", tr.gettext("who is coming to a lab, with a CSV of the roster")),
            line("checkin", tr.gettext("check a resident in with their code")),
        ]
    if resident is not None and resident.has_role(Role.STAFF):
        lines += [
            "",
            bold(tr.gettext("For staff")),
            line(
                "export", tr.gettext("survey answers of a round as CSV and XLSX, with a codebook")
            ),
        ]
    if resident is not None and resident.has_role(Role.ADMIN):
        lines += [
            "",
            bold(tr.gettext("For administrators")),
            line("grant", tr.gettext("give someone the coordinator or staff role")),
            line("revoke", tr.gettext("take a role away")),
            line("roles", tr.gettext("list who has which role")),
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
