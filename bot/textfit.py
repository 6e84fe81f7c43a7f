"""Telegram's length limits, counted as Telegram counts them: in UTF-16 code units.

Every text the bot builds from what people typed must fit a message (4096 units) or a caption
(1024): long ones are split at line breaks (never inside a line's HTML), and only a single
line longer than a whole message is cut, at a space, with what follows in the next part.
"""

from __future__ import annotations

import re

MESSAGE_MAX = 4096
CAPTION_MAX = 1024
_TAG = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """Plain text cut to `limit` units (with an ellipsis) if it is longer."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(ellipsis)
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > room:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + ellipsis


def split_message(text: str, limit: int = MESSAGE_MAX) -> list[str]:
    """HTML text in parts of at most `limit` units, split between lines where it can."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _pieces(line, limit):
            joined = f"{current}\n{piece}" if current else piece
            if utf16_len(joined) <= limit:
                current = joined
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(line: str, limit: int) -> list[str]:
    """A line that fits, or that line in pieces broken at spaces outside tags and entities."""
    if utf16_len(line) <= limit:
        return [line]
    pieces, start, last_space, used, i = [], 0, -1, 0, 0
    while i < len(line):
        tag = _TAG.match(line, i)
        token = tag.group(0) if tag else line[i]
        size = utf16_len(token)
        if used + size > limit:
            end = last_space if last_space > start else i
            pieces.append(line[start:end].rstrip())
            start = end + 1 if end == last_space else end
            i, used, last_space = start, 0, -1
            continue
        if token == " ":
            last_space = i
        used += size
        i += len(token)
    pieces.append(line[start:])
    return [p for p in pieces if p]
