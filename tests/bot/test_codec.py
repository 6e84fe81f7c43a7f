"""Callback data: small, versioned, and nothing we did not produce gets through."""

from __future__ import annotations

import pytest

from bot.codec import MAX_BYTES, Callback, decode, encode, matcher


def test_round_trip() -> None:
    data = encode("ob", "ans", "municipality", "celje")
    assert data == "ob:v1:ans:municipality:celje"
    assert decode(data) == Callback("ob", "ans", ("municipality", "celje"))


def test_encode_refuses_what_telegram_would_refuse() -> None:
    with pytest.raises(ValueError, match="exceeds 64 bytes"):
        encode("ob", "consent", "yes", "a" * 30, "b" * 30)
    with pytest.raises(ValueError, match="short lowercase token"):
        encode("ob", "ans", "a:b")
    with pytest.raises(ValueError, match="short lowercase token"):
        encode("ob", "ans", "Celje")


@pytest.mark.parametrize(
    "data",
    [None, "", "ob", "ob:v1", "ob:v2:ans:x", "ob:v1:ans:Ž", "ob:v1::x", "x" * (MAX_BYTES + 1)],
)
def test_decode_refuses_anything_else(data: str | None) -> None:
    assert decode(data) is None


def test_matcher_selects_a_namespace() -> None:
    assert matcher("ob")("ob:v1:done")
    assert not matcher("ob")("set:v1:open")
    assert not matcher("ob")("ob:v0:done")
    assert not matcher("ob")(object())
