"""Numbers typed or pressed by people: ASCII digits only, and never past what a column holds."""

from __future__ import annotations

import re

# Integer columns (lab, registration, round and other row ids) and BigInteger ones (Telegram ids).
ROW_ID_MAX = 2**31 - 1
TELEGRAM_ID_MAX = 2**63 - 1

_DIGITS = re.compile(r"-?[0-9]{1,19}")


def parse_int(text: str | None, low: int = 0, high: int = ROW_ID_MAX) -> int | None:
    """The number, if `text` is one written with ASCII digits within [low, high]; else None.

    `str.isdigit()` accepts "²" and other digits that int() refuses, and an id past the
    column's range fails deep in the database driver instead of as a polite refusal."""
    if text is None or not _DIGITS.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if low <= value <= high else None
