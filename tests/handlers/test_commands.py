"""One table of commands feeds the handlers, the menus and /help."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.commands import COMMANDS, command_name
from bot.domain import Role
from handlers import FEATURE_HANDLERS
from handlers.menu import _entries


def test_every_command_of_the_table_has_exactly_one_handler_and_no_other_exists() -> None:
    registered = [h for h in FEATURE_HANDLERS if isinstance(h, CommandHandler)]
    spelled = sorted(tuple(sorted(h.commands)) for h in registered)
    wanted = sorted(tuple(sorted({c.name, c.alias})) for c in COMMANDS)
    assert spelled == wanted


def test_aliases_are_distinct_and_valid_telegram_commands() -> None:
    spellings = [c.name for c in COMMANDS] + [c.alias for c in COMMANDS if c.alias != c.name]
    assert len(spellings) == len(set(spellings))
    assert all(s.isascii() and s.islower() and len(s) <= 32 for s in spellings)
    assert command_name("settings", "sl") == "nastavitve"
    assert command_name("settings", "en") == "settings"


def test_menus_follow_roles() -> None:
    resident = {c.name for c in _entries(frozenset())}
    coordinator = {c.name for c in _entries(frozenset({Role.COORDINATOR}))}
    admin = {c.name for c in _entries(frozenset({Role.ADMIN}))}
    assert "labs" in resident and "announce" not in resident
    assert {"announce", "newlab"} <= coordinator and "export" not in coordinator
    assert admin == {c.name for c in COMMANDS}
