"""Callback data: `ns:v1:action:arg...`, small, versioned, validated; never PTB's in-memory data."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64
_PART = re.compile(r"^[a-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class Callback:
    ns: str
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int) -> str | None:
        return self.args[index] if index < len(self.args) else None


def encode(ns: str, action: str, *args: object) -> str:
    parts = [ns, VERSION, action, *(str(a) for a in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"callback part {part!r} is not a short lowercase token")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data {data!r} exceeds {MAX_BYTES} bytes")
    return data


def decode(data: str | None) -> Callback | None:
    """None for anything we did not produce: other versions, junk, forged shapes."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[1] != VERSION or not all(_PART.match(p) for p in parts):
        return None
    return Callback(parts[0], parts[2], tuple(parts[3:]))


def matcher(ns: str) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern accepting this namespace's current version."""

    def _match(data: object) -> bool:
        decoded = decode(data) if isinstance(data, str) else None
        return decoded is not None and decoded.ns == ns

    return _match
