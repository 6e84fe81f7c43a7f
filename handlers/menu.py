"""The command menus, set per language and role from the one table of commands."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.commands import COMMANDS, Command, command_name
from bot.domain import Role
from bot.i18n import I18n

log = logging.getLogger(__name__)


def _entries(roles: frozenset[Role]) -> list[Command]:
    """The commands a person with these roles may use; an admin may do what all others may."""
    if Role.ADMIN in roles:
        roles = roles | {Role.COORDINATOR, Role.STAFF}
    return [c for c in COMMANDS if c.role is None or c.role in roles or c.also in roles]


def _commands(i18n: I18n, locale: str, entries: list[Command]) -> list[BotCommand]:
    tr = i18n.get(locale)
    return [
        BotCommand(
            command_name(c.name, locale),
            tr.town.command_text(c.name, "menu", locale) or tr.gettext(c.menu),
        )
        for c in entries
    ]


async def set_command_menus(bot: ExtBot[None], i18n: I18n, admin_ids: frozenset[int]) -> None:
    """English is the default menu; Telegram shows each offered language's to its clients.
    All at once: each is a round trip to Telegram, and the bot polls only after them."""
    await asyncio.gather(
        bot.set_my_commands(_commands(i18n, "en", _entries(frozenset()))),
        *(
            bot.set_my_commands(
                _commands(i18n, locale, _entries(frozenset())), language_code=locale
            )
            for locale in i18n.languages
            if locale != "en"
        ),
        *(
            set_chat_menu(bot, i18n, admin_id, i18n.default_locale, frozenset({Role.ADMIN}))
            for admin_id in admin_ids
        ),
    )


async def set_chat_menu(
    bot: ExtBot[None], i18n: I18n, chat_id: int, locale: str, roles: frozenset[Role] = frozenset()
) -> None:
    """A resident who chose a language, or has a role, gets their own menu."""
    try:
        await bot.set_my_commands(
            _commands(i18n, locale, _entries(roles)), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError as exc:  # an admin who never opened the chat yet
        log.info("could not set a chat's command menu: %s", exc)
