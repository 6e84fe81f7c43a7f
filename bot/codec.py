"""Callback data and awaited text, as small versioned strings; never PTB's in-memory data.

Buttons carry `ns:v1:action:arg...` (`lab:v1:join:42`), at most 64 bytes as Telegram allows.
A resident's `awaiting` column says which feature waits for their next typed text
(`labedit:42:title_sl`): the same shape without a version, since it lives only in our database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.numbers import ROW_ID_MAX, parse_int

VERSION = "v1"


class NS(StrEnum):
    """The namespaces of callback data: one per feature (and one for the main menu)."""

    ONBOARDING = "onboard"
    SETTINGS = "settings"
    LANGUAGE = "language"
    MENU = "menu"
    PRIVACY = "privacy"
    EXPORT = "export"
    ANNOUNCE = "announce"
    LAB = "lab"
    LAB_ADMIN = "labadmin"
    SURVEY = "survey"
    SURVEY_ROUNDS = "rounds"
    DIGEST = "digest"
    IDEA = "idea"
    IDEA_ADMIN = "ideamod"
    STORY = "story"
    STORY_ADMIN = "storymod"
    CONVERSATION = "conv"
    CONVERSATION_ADMIN = "convadmin"
    CONVERSATION_MOD = "convmod"


MAX_BYTES = 64
_PART = re.compile(r"^[a-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class Callback:
    ns: str
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int) -> str | None:
        return self.args[index] if index < len(self.args) else None

    def int_arg(self, index: int, low: int = 0, high: int = ROW_ID_MAX) -> int | None:
        """The argument as a number within a column's range; None for anything forged."""
        return parse_int(self.arg(index), low, high)


def encode(ns: str, action: str, *args: object) -> str:
    parts = [ns, VERSION, action, *(str(a) for a in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"callback part {part!r} is not a short lowercase token")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data {data!r} exceeds {MAX_BYTES} bytes")
    return data


@functools.lru_cache(maxsize=4096)
def decode(data: str | None) -> Callback | None:
    """None for anything we did not produce: other versions, junk, forged shapes.

    Remembered: every button handler's pattern decodes the same press again (dozens of them
    for one tap), and a Callback is immutable."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[1] != VERSION or not all(_PART.match(p) for p in parts):
        return None
    return Callback(parts[0], parts[2], tuple(parts[3:]))


def matcher(ns: str, action: str | None = None) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: this namespace's current version (and this action)."""

    def _match(data: object) -> bool:
        decoded = decode(data) if isinstance(data, str) else None
        return (
            decoded is not None
            and decoded.ns == ns
            and (action is None or decoded.action == action)
        )

    return _match


@dataclass(frozen=True)
class Awaiting:
    """What a resident's next typed text is for: a feature's kind and its arguments."""

    kind: str
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        for part in (self.kind, *self.args):
            if not _PART.match(part):
                raise ValueError(f"awaiting part {part!r} is not a short lowercase token")
        return ":".join((self.kind, *self.args))

    @classmethod
    def decode(cls, value: str | None) -> Awaiting | None:
        if not value:
            return None
        parts = value.split(":")
        if not all(_PART.match(p) for p in parts):
            return None
        return cls(parts[0], tuple(parts[1:]))

    def arg(self, index: int) -> str | None:
        return self.args[index] if index < len(self.args) else None


def awaiting(kind: str, *args: object) -> str:
    """The stored form of `Awaiting(kind, args)`."""
    return Awaiting(kind, tuple(str(a) for a in args)).encode()
