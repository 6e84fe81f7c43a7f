"""Callback data: small, versioned, and nothing we did not produce gets through."""

from __future__ import annotations

import pytest

from bot.codec import MAX_BYTES, NS, Awaiting, Callback, awaiting, decode, encode, matcher


def test_round_trip() -> None:
    data = encode(NS.ONBOARDING, "ans", "municipality", "celje")
    assert data == "onboard:v1:ans:municipality:celje"
    assert decode(data) == Callback("onboard", "ans", ("municipality", "celje"))


def test_encode_refuses_what_telegram_would_refuse() -> None:
    with pytest.raises(ValueError, match="exceeds 64 bytes"):
        encode(NS.ONBOARDING, "consent", "yes", "a" * 30, "b" * 30)
    with pytest.raises(ValueError, match="short lowercase token"):
        encode(NS.ONBOARDING, "ans", "a:b")
    with pytest.raises(ValueError, match="short lowercase token"):
        encode(NS.ONBOARDING, "ans", "Celje")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "ob",
        "ob:v1",
        "ob:v2:ans:x",
        "onboard:v1:ans:Ž",
        "onboard:v1::x",
        "x" * (MAX_BYTES + 1),
    ],
)
def test_decode_refuses_anything_else(data: str | None) -> None:
    assert decode(data) is None


def test_matcher_selects_a_namespace_and_an_action() -> None:
    assert matcher(NS.ONBOARDING)("onboard:v1:done")
    assert not matcher(NS.ONBOARDING)("settings:v1:open")
    assert not matcher(NS.ONBOARDING)("onboard:v0:done")
    assert not matcher(NS.ONBOARDING)(object())
    assert matcher(NS.LAB, "join")("lab:v1:join:42")
    assert not matcher(NS.LAB, "join")("lab:v1:leave:42")
    assert not matcher(NS.LAB, "join")("labadmin:v1:join:42")


def test_awaiting_round_trip() -> None:
    stored = awaiting("labedit", 42, "title_sl")
    assert stored == "labedit:42:title_sl"
    decoded = Awaiting.decode(stored)
    assert decoded == Awaiting("labedit", ("42", "title_sl"))
    assert decoded.arg(0) == "42" and decoded.arg(2) is None
    assert Awaiting.decode("lab") == Awaiting("lab")


@pytest.mark.parametrize("stored", [None, "", "lab::x", "Lab", "survey:a b"])
def test_awaiting_refuses_what_we_never_stored(stored: str | None) -> None:
    assert Awaiting.decode(stored) is None


def test_awaiting_refuses_to_store_free_text() -> None:
    with pytest.raises(ValueError, match="short lowercase token"):
        awaiting("survey", "Two words")
