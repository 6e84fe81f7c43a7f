"""Telegram Mini App sign-in data, checked as Telegram documents it, and the session cookie."""

from __future__ import annotations

import hashlib
import hmac
import time
from unittest import mock
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.dashboard import auth
from bot.dashboard.auth import InitDataError, InitDataProblem, validate_init_data
from tests.support.dashboard import init_data
from tests.support.harness import TOKEN

DAY = 86400


def _problem(data: str, **kwargs: float) -> InitDataProblem:
    with pytest.raises(InitDataError) as caught:
        validate_init_data(data, TOKEN, max_age_seconds=kwargs.get("max_age", DAY))
    return caught.value.problem


def test_valid_data_gives_the_user() -> None:
    user = validate_init_data(init_data(4242, "en"), TOKEN, max_age_seconds=DAY)
    assert (user.telegram_id, user.language_code) == (4242, "en")


def test_the_hash_is_telegrams_recipe() -> None:
    """secret = HMAC_SHA256("WebAppData", token); hash = HMAC_SHA256(secret, sorted lines)."""
    fields = dict(parse_qsl(init_data(5, "sl")))
    lines = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert fields["hash"] == hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()


def test_a_tampered_field_is_refused() -> None:
    fields = dict(parse_qsl(init_data(4242)))
    fields["user"] = fields["user"].replace("4242", "4243")
    assert _problem(urlencode(fields)) == InitDataProblem.BAD_HASH


def test_a_wrong_hash_and_another_bots_token_are_refused() -> None:
    fields = dict(parse_qsl(init_data(4242)))
    fields["hash"] = "0" * 64
    assert _problem(urlencode(fields)) == InitDataProblem.BAD_HASH
    assert _problem(init_data(4242, token="999:another-bot")) == InitDataProblem.BAD_HASH


def test_a_missing_hash_is_refused() -> None:
    fields = dict(parse_qsl(init_data(4242)))
    del fields["hash"]
    assert _problem(urlencode(fields)) == InitDataProblem.NO_HASH


def test_old_sign_in_data_has_expired() -> None:
    old = init_data(4242, auth_date=time.time() - 2 * DAY)
    assert _problem(old) == InitDataProblem.EXPIRED
    assert validate_init_data(old, TOKEN, max_age_seconds=3 * DAY).telegram_id == 4242


def test_garbage_and_repeated_keys_are_malformed() -> None:
    assert _problem("") == InitDataProblem.MALFORMED
    assert _problem("no-equals-sign") == InitDataProblem.MALFORMED
    assert _problem(init_data(1) + "&auth_date=1") == InitDataProblem.MALFORMED
    assert _problem("x" * 5000) == InitDataProblem.MALFORMED


def test_the_hash_is_compared_in_constant_time() -> None:
    with mock.patch.object(auth.hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        validate_init_data(init_data(4242), TOKEN, max_age_seconds=DAY)
    assert compare.called


def test_a_session_cookie_round_trips_and_refuses_tampering_and_age() -> None:
    key = auth.session_key(TOKEN)
    session = auth.new_session(auth.Kind.TELEGRAM, 17, "sl", 3600)
    sealed = auth.seal(session, key)
    assert auth.unseal(sealed, key) == session
    _body, _, signature = sealed.partition(".")
    forged = auth.seal(auth.Session(auth.Kind.TOKEN, 1, "sl", session.expires, "x"), key)
    assert auth.unseal(forged.partition(".")[0] + "." + signature, key) is None
    assert auth.unseal(sealed, auth.session_key("other:token")) is None
    assert auth.unseal(sealed, key, now=session.expires + 1) is None
    assert auth.unseal("garbage", key) is None and auth.unseal(None, key) is None
