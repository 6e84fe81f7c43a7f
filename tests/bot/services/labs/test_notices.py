"""The messages the lab services queue: worded in the core, as markup Telegram accepts."""

from __future__ import annotations

import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from bot.i18n import I18n
from bot.services.labs import notices
from tests.support.labs import LAB, REG, every_notice

TZ = ZoneInfo("Europe/Ljubljana")


def test_the_lab_services_import_neither_handlers_nor_telegram() -> None:
    modules = ", ".join(
        f"bot.services.labs.{name}"
        for name in ("signup", "records", "compose", "jobs", "notices", "wording", "calendar")
    )
    probe = (
        f"import sys, {modules}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'handlers', 'telegram'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("locale", ["sl", "en"])
def test_every_notice_names_the_lab_and_its_buttons_are_telegram_markup(locale: str) -> None:
    tr = I18n(TZ, "sl").get(locale)
    for notice in every_notice(tr):
        assert notice.text and LAB.title(locale) in notice.text
        if notice.reply_markup is not None:
            markup = InlineKeyboardMarkup.de_json(notice.reply_markup, None)
            assert markup is not None and markup.to_dict() == notice.reply_markup


def test_the_offer_reads_in_the_residents_language() -> None:
    i18n = I18n(TZ, "sl")
    en = notices.offer(i18n.get("en"), LAB, REG)
    sl = notices.offer(i18n.get("sl"), LAB, REG)
    assert en.text.startswith("🎟 A seat has come free at Affordable housing")
    assert "Dostopna stanovanja" in sl.text and sl.text != en.text
    labels = [b["text"] for b in en.reply_markup["inline_keyboard"][0]]  # type: ignore[index]
    assert labels == ["✅ Take the seat", "Decline"]
