"""Every button the conversation feature shows or queues has exactly one handler."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler

from bot.domain import Bilingual
from bot.i18n import I18n
from bot.services.conversations import notices
from bot.services.conversations.types import (
    Card,
    ConversationStatus,
    ConversationView,
    PendingStatement,
)
from handlers import FEATURE_HANDLERS
from handlers.conversations import screens

QUESTION = Bilingual("Vprašanje?", "Question?")


def view(status: ConversationStatus, invited: bool = False, sent: bool = False) -> ConversationView:
    return ConversationView(12345, QUESTION, status, datetime.now(UTC), 30, 2, 40, invited, sent)


def markups(locale: str) -> list[dict]:  # type: ignore[type-arg]
    tr = I18n(ZoneInfo("Europe/Ljubljana")).get(locale)
    open_, closed = view(ConversationStatus.OPEN), view(ConversationStatus.CLOSED)
    card = Card(12345, QUESTION, 987654, Bilingual("Izjava.", "Statement."), 3, 30, 2)
    done = Card(12345, QUESTION, None, None, 30, 30, 30)
    pending = PendingStatement(987654, 12345, QUESTION, "Besedilo.")
    found = [
        notices.invitation(tr, 12345, QUESTION).reply_markup,
        notices.moderation_request(tr, pending).reply_markup,
    ]
    for screen in (
        screens.card_screen(tr, card),
        screens.card_screen(tr, done),
        screens.write_screen(tr, open_),
        screens.list_screen(tr, [open_, closed]),
        screens.confirm_close_screen(tr, open_),
        screens.opened_screen(tr, open_),
    ):
        markup = screen[1]
        assert markup is not None
        found.append(markup.to_dict())
    return [m for m in found if m]


@pytest.mark.parametrize("locale", ["sl", "en"])
def test_every_button_has_one_handler(locale: str) -> None:
    patterns = [h.pattern for h in FEATURE_HANDLERS if isinstance(h, CallbackQueryHandler)]
    pressed = 0
    for raw in markups(locale):
        markup = InlineKeyboardMarkup.de_json(raw, None)
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                assert len(button.callback_data.encode()) <= 64
                matching = [p for p in patterns if callable(p) and p(button.callback_data)]
                assert len(matching) == 1, button.callback_data
                pressed += 1
    # invitation 1, moderation 2, card 4, done 1, write 1, list 3 + 1, confirm 2, opened 3
    assert pressed == 1 + 2 + 4 + 1 + 1 + 4 + 2 + 3
