"""Contact details removed from free text before it is shown to anyone else."""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:si|com|org|net|eu)(?:/\S*)?\b", re.I),
    re.compile(r"(?<![\w@])@\w{3,}"),  # @mention
    re.compile(r"(?:\+|00)?\d[\d\s/().-]{6,}\d"),  # phone number
)
MASK = "[…]"


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text
