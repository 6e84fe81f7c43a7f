"""A message a feature queues on its own for someone: its text and, maybe, its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notice:
    text: str
    reply_markup: dict[str, Any] | None = None
