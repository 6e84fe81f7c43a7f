"""Announcements in Telegram: composing, scheduling and following a broadcast."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.codec import NS, matcher
from handlers.announcements import compose
from handlers.common import command

HANDLERS = [
    command("announce", compose.start_announcement),
    command("announcements", compose.list_announcements),
    CallbackQueryHandler(compose.announcement_button, pattern=matcher(NS.ANNOUNCE)),
]
