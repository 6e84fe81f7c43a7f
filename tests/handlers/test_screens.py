"""What the consent screen promises is what the bot does: it names the configured group size."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.i18n import I18n
from handlers.screens import consent_text


@pytest.mark.parametrize(
    ("k", "sl", "en"),
    [
        (5, "z vsaj 5 osebami", "at least 5 people"),
        (7, "z vsaj 7 osebami", "at least 7 people"),
        (2, "z vsaj 2 osebama", "at least 2 people"),
        (101, "z vsaj 101 osebo", "at least 101 people"),
    ],
)
def test_the_consent_text_states_the_configured_group_size(k: int, sl: str, en: str) -> None:
    i18n = I18n(ZoneInfo("Europe/Ljubljana"), "sl")
    assert sl in consent_text(i18n.get("sl"), k)
    assert en in consent_text(i18n.get("en"), k)
    assert "petimi" not in consent_text(i18n.get("sl"), k)
