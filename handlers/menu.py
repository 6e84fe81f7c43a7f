"""Command names (with Slovenian aliases) and the command menus set per language and role."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.domain import N_, Role
from bot.i18n import I18n

log = logging.getLogger(__name__)

# English command -> Slovenian alias; both always work, the menu shows the resident's language.
ALIASES = {
    "start": "start",
    "help": "pomoc",
    "settings": "nastavitve",
    "language": "jezik",
    "grant": "dodeli",
    "revoke": "odvzemi",
    "roles": "vloge",
    "announce": "obvesti",
    "announcements": "obvestila",
    "export": "izvoz",
    "digest": "povzetek",
    "mydata": "moji_podatki",
    "forget": "pozabi",
    "survey": "anketa",
    "surveys": "ankete",
    "labs": "delavnice",
    "mylabs": "moje_delavnice",
    "newlab": "nova_delavnica",
    "roster": "udelezenci",
    "checkin": "prihod",
}

RESIDENT_MENU = (
    ("start", N_("Start or return to the main menu")),
    ("survey", N_("Stay or leave? The residents' survey")),
    ("labs", N_("Upcoming labs and events")),
    ("mylabs", N_("Your sign-ups")),
    ("settings", N_("Your profile, topics and consent")),
    ("mydata", N_("Everything stored about you")),
    ("forget", N_("Erase everything about you")),
    ("language", N_("Slovenščina / English")),
    ("help", N_("What this bot can do")),
)
COORDINATOR_MENU = (
    ("announce", N_("Compose an announcement")),
    ("announcements", N_("Scheduled and running announcements")),
    ("surveys", N_("Survey rounds and responses")),
    ("digest", N_("The survey digest, now")),
    ("newlab", N_("Create a lab or hub event")),
    ("roster", N_("Who is coming to a lab")),
    ("checkin", N_("Check a resident in at a lab")),
)
STAFF_MENU = (("export", N_("Export survey answers (CSV, XLSX, codebook)")),)
ADMIN_MENU = (
    ("grant", N_("Give someone a role")),
    ("revoke", N_("Take a role away")),
    ("roles", N_("Who has which role")),
)


def command_name(name: str, locale: str) -> str:
    return ALIASES.get(name, name) if locale == "sl" else name


def names(name: str) -> list[str]:
    """Both spellings, for CommandHandler."""
    return sorted({name, ALIASES.get(name, name)})


def _commands(i18n: I18n, locale: str, entries: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    tr = i18n.get(locale)
    return [BotCommand(command_name(name, locale), tr.gettext(text)) for name, text in entries]


async def set_command_menus(bot: ExtBot[None], i18n: I18n, admin_ids: frozenset[int]) -> None:
    """English is the default menu; Telegram shows the Slovenian one to Slovenian clients."""
    await bot.set_my_commands(_commands(i18n, "en", RESIDENT_MENU))
    await bot.set_my_commands(_commands(i18n, "sl", RESIDENT_MENU), language_code="sl")
    for admin_id in admin_ids:
        await set_chat_menu(bot, i18n, admin_id, i18n.default_locale, frozenset({Role.ADMIN}))


async def set_chat_menu(
    bot: ExtBot[None], i18n: I18n, chat_id: int, locale: str, roles: frozenset[Role] = frozenset()
) -> None:
    """A resident who chose a language, or has a role, gets their own menu."""
    entries = RESIDENT_MENU
    if roles & {Role.COORDINATOR, Role.ADMIN}:
        entries += COORDINATOR_MENU
    if roles & {Role.STAFF, Role.ADMIN}:
        entries += STAFF_MENU
    if Role.ADMIN in roles:
        entries += ADMIN_MENU
    try:
        await bot.set_my_commands(
            _commands(i18n, locale, entries), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError as exc:  # an admin who never opened the chat yet
        log.info("could not set the command menu for chat %s: %s", chat_id, exc)
