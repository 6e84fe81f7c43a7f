"""Announcements in Telegram: composing, scheduling and following a broadcast."""

from __future__ import annotations

from bot.codec import NS
from handlers.announcements import active, compose
from handlers.announcements.screens import Action
from handlers.common import button, command

HANDLERS = [
    command("announce", compose.start_announcement),
    command("announcements", active.list_announcements),
    button(NS.ANNOUNCE, Action.SAME_TEXT, compose.same_text),
    button(NS.ANNOUNCE, Action.SKIP_PHOTO, compose.skip_photo),
    button(NS.ANNOUNCE, Action.AUDIENCE, compose.choose_audience),
    button(NS.ANNOUNCE, Action.CHANGE_AUDIENCE, compose.change_audience),
    button(NS.ANNOUNCE, Action.TOGGLE, compose.toggle_value),
    button(NS.ANNOUNCE, Action.DONE, compose.confirm_values),
    button(NS.ANNOUNCE, Action.URGENT, compose.set_urgency),
    button(NS.ANNOUNCE, Action.SCHEDULE, compose.ask_when),
    button(NS.ANNOUNCE, Action.SEND, compose.send_now),
    button(NS.ANNOUNCE, Action.DISCARD, compose.discard),
    button(NS.ANNOUNCE, Action.CANCEL, active.cancel),
]
