"""Every lab button has exactly one handler, including those the services queue in notices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler

from bot.i18n import I18n
from handlers.labs import HANDLERS
from tests.support.labs import every_notice

TZ = ZoneInfo("Europe/Ljubljana")


@pytest.mark.parametrize("locale", ["sl", "en"])
def test_every_notice_button_has_one_handler(locale: str) -> None:
    patterns = [h.pattern for h in HANDLERS if isinstance(h, CallbackQueryHandler)]
    pressed = 0
    for notice in every_notice(I18n(TZ, "sl").get(locale)):
        if notice.reply_markup is None:
            continue
        markup = InlineKeyboardMarkup.de_json(notice.reply_markup, None)
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                matching = [p for p in patterns if callable(p) and p(button.callback_data)]
                assert len(matching) == 1, button.callback_data
                pressed += 1
    assert pressed == 2 + 1 + 1 + 1 + 3  # offer, expired, reminder, changed, feedback


def test_old_unreadable_actions_are_gone() -> None:
    patterns = [h.pattern for h in HANDLERS if isinstance(h, CallbackQueryHandler)]
    for old in ("lab:v1:leavey:7", "labadmin:v1:cancely:7", "lab:v1:fb:42:useful:3"):
        assert not any(callable(p) and p(old) for p in patterns), old
