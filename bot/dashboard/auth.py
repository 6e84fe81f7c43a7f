"""Signing in to the dashboard: Telegram's Mini App `initData`, checked as Telegram documents
it, and a signed, expiring session cookie that carries database ids only.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

MAX_INIT_DATA = 4096


class InitDataProblem(StrEnum):
    MALFORMED = "malformed"
    NO_HASH = "no_hash"
    BAD_HASH = "bad_hash"
    EXPIRED = "expired"
    NO_USER = "no_user"


class InitDataError(ValueError):
    def __init__(self, problem: InitDataProblem):
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class WebAppUser:
    telegram_id: int
    language_code: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    """secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but `hash`, sorted by key, as key=value lines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """What Telegram appends as `hash` (used by the demo link and the tests)."""
    return hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def validate_init_data(
    init_data: str, bot_token: str, *, max_age_seconds: float, now: float | None = None
) -> WebAppUser:
    """The user Telegram vouches for, or InitDataError saying what is wrong."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError(InitDataProblem.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError(InitDataProblem.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one was signed?
        raise InitDataError(InitDataProblem.MALFORMED)
    given = fields.get("hash")
    if not given:
        raise InitDataError(InitDataProblem.NO_HASH)
    expected = sign_init_data(fields, bot_token)
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise InitDataError(InitDataProblem.BAD_HASH)
    try:
        auth_date = int(fields.get("auth_date", ""))
    except ValueError:
        raise InitDataError(InitDataProblem.MALFORMED) from None
    now = time.time() if now is None else now
    if now - auth_date > max_age_seconds or auth_date - now > 60:
        raise InitDataError(InitDataProblem.EXPIRED)
    try:
        user = json.loads(fields.get("user", ""))
        telegram_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        raise InitDataError(InitDataProblem.NO_USER) from None
    language = user.get("language_code")
    return WebAppUser(telegram_id, language if isinstance(language, str) else None, auth_date)


class Kind(StrEnum):
    TELEGRAM = "tg"  # signed in through the Mini App; `subject` is the resident's database id
    TOKEN = "token"  # signed in with a staff token; `subject` is the token's database id


@dataclass(frozen=True)
class Session:
    kind: Kind
    subject: int
    locale: str
    expires: int
    csrf: str

    def with_locale(self, locale: str) -> Session:
        return Session(self.kind, self.subject, locale, self.expires, self.csrf)


def new_session(kind: Kind, subject: int, locale: str, lifetime_seconds: float) -> Session:
    return Session(
        kind, subject, locale, int(time.time() + lifetime_seconds), secrets.token_hex(16)
    )


def session_key(bot_token: str) -> bytes:
    """Derived from the bot token, so every replica shares it and a new token ends all sessions."""
    return hmac.new(b"magnet-dashboard-session", bot_token.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(session: Session, key: bytes) -> str:
    body = _b64(
        json.dumps(
            {
                "k": session.kind.value,
                "s": session.subject,
                "l": session.locale,
                "e": session.expires,
                "c": session.csrf,
            },
            separators=(",", ":"),
        ).encode()
    )
    return body + "." + _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def unseal(cookie: str | None, key: bytes, now: float | None = None) -> Session | None:
    """The session a cookie holds, if we signed it and it has not expired."""
    if not cookie or len(cookie) > 1024 or "." not in cookie:
        return None
    body, _, signature = cookie.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    try:
        data: dict[str, Any] = json.loads(_unb64(body))
        session = Session(
            Kind(data["k"]), int(data["s"]), str(data["l"]), int(data["e"]), str(data["c"])
        )
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires < (time.time() if now is None else now):
        return None
    return session


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())
