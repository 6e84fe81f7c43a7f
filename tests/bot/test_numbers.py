"""Numbers from people: only ASCII digits, only within what the column holds."""

from __future__ import annotations

import pytest

from bot.codec import Callback
from bot.numbers import ROW_ID_MAX, TELEGRAM_ID_MAX, parse_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42), (" 7 ", 7), ("0", 0), (str(ROW_ID_MAX), ROW_ID_MAX)],
)
def test_accepts_plain_numbers_within_range(text: str, expected: int) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize(
    "text", [None, "", "²", "٣", "1²", "-1", "4.2", "1e3", str(ROW_ID_MAX + 1), "9" * 30]
)
def test_refuses_anything_else(text: str | None) -> None:
    assert parse_int(text) is None


def test_telegram_ids_and_callback_arguments() -> None:
    assert parse_int("-1001234567890", -TELEGRAM_ID_MAX, TELEGRAM_ID_MAX) == -1001234567890
    assert parse_int(str(2**63), -TELEGRAM_ID_MAX, TELEGRAM_ID_MAX) is None
    forged = Callback("lab", "join", (str(2**64), "²", "12"))
    assert forged.int_arg(0) is None and forged.int_arg(1) is None and forged.int_arg(2) == 12
    assert forged.int_arg(5) is None
