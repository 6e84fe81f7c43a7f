"""What a send's exception means for the message: sent, blocked, failed, or try again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.ratelimit import retry_seconds


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the resident blocked the bot or deleted their account
    FAILED = "failed"  # the request itself is wrong: retrying cannot help
    FLOOD = "flood"  # 429: wait exactly retry_after
    UNKNOWN = "unknown"  # timed out or cut off after sending: it may have arrived
    ERROR = "error"  # Telegram answered with an error (5xx): it did not arrive


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    detail: str
    retry_after: float | None = None


def classify(exc: BaseException) -> Classified:
    detail = f"{type(exc).__name__}: {exc}"[:250]
    if isinstance(exc, RetryAfter):
        return Classified(Outcome.FLOOD, detail, retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Classified(Outcome.BLOCKED, detail)
    if isinstance(exc, BadRequest | ChatMigrated | InvalidToken):
        return Classified(Outcome.FAILED, detail)
    if isinstance(exc, TimedOut):
        # PTB says so when the request never left the pool: then it surely did not arrive.
        not_sent = "not* sent" in str(exc) or "not sent" in str(exc)
        return Classified(Outcome.ERROR if not_sent else Outcome.UNKNOWN, detail)
    if isinstance(exc, NetworkError):
        transport = str(exc).startswith(("httpx.", "aiohttp."))  # bot.telegram_http
        return Classified(Outcome.UNKNOWN if transport else Outcome.ERROR, detail)
    if isinstance(exc, TelegramError):
        return Classified(Outcome.ERROR, detail)
    return Classified(Outcome.UNKNOWN, detail)
