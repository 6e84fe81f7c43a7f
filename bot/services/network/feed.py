"""The feed a town publishes: its decision views' k-safe figures as counts (never a person's
answers), signed over a canonical serialisation; and the checks a peer's feed must pass.

Canonical form: JSON with keys sorted, no whitespace, UTF-8, non-ASCII left as is. For what the
schema allows (strings, integers, objects, arrays; ASCII keys) that is exactly RFC 8785 (JCS),
so any language's JCS library reproduces the signed bytes.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.services.network import keys
from bot.services.surveys.analysis import options_of
from bot.services.surveys.view_types import DecisionViews

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_VERSION = 1
# A peer's clock may run this far ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
MAX_FEED_BYTES = 512 * 1024


class FeedRejected(ValueError):
    """A peer's feed that is not taken; `reason` is a short code for logs and the dashboard."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files("bot.services.network").joinpath("schema/aggregates.v1.json")
    return json.loads(text.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    # jsonschema takes tens of milliseconds to import; only a feed being checked needs it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def survey_entry(views: DecisionViews) -> dict[str, Any] | None:
    """One round's key questions as the feed carries them: only the figures the views show
    (a hidden cell is None there and left out here), nothing when the round is under k."""
    if views.completed < views.k or not views.roles_declared:
        return None
    questions = []
    for figure in views.key:
        overall = figure.overall
        if overall.total is None or overall.withheld:
            continue
        question = views.survey.question(figure.question)
        if question is None:
            continue
        entry: dict[str, Any] = {
            "code": figure.question,
            "options": options_of(question),
            "total": overall.total,
            "counts": {code: n for code, n in overall.cells.items() if n is not None},
        }
        headline = figure.headline
        if headline is not None and headline.count is not None and headline.total is not None:
            entry["headline"] = {"options": list(headline.options), "count": headline.count}
        questions.append(entry)
    return {
        "code": views.code,
        "version": views.survey.checksum()[:16],
        "round": views.round_number,
        "completed": views.completed,
        "questions": questions,
    }


def build_payload(
    town_code: str, town_name: str, k: int, rounds: list[DecisionViews], now: datetime
) -> dict[str, Any]:
    surveys = [entry for views in rounds if (entry := survey_entry(views)) is not None]
    return {
        "schema_version": SCHEMA_VERSION,
        "town": {"code": town_code, "name": town_name},
        "generated_at": stamp(now),
        "k": k,
        "surveys": surveys,
    }


def sign_feed(payload: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {
        "payload": payload,
        "signature": {
            "algorithm": "Ed25519",
            "canonicalization": "RFC8785",
            "key_id": keys.key_id(key.public_key()),
            "value": keys.sign(key, canonical(payload)),
        },
    }


def schema_errors(document: object) -> list[str]:
    """Where the document breaks the schema, one line each (paths, no values)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.validator}" for e in errors]


@dataclass(frozen=True)
class CheckedFeed:
    payload: dict[str, Any]
    generated_at: datetime
    key_id: str


def check_feed(
    body: bytes,
    *,
    town_code: str,
    public_key: Ed25519PublicKey,
    now: datetime,
    max_age: timedelta,
    newer_than: datetime | None = None,
) -> CheckedFeed:
    """The peer's feed if it is well-formed, signed by the peer's key, the peer's own, fresh
    and not older than the last one taken; else FeedRejected with the first failure."""
    if len(body) > MAX_FEED_BYTES:
        raise FeedRejected("too_large", f"{len(body)} bytes")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FeedRejected("not_json") from None
    errors = schema_errors(document)
    if errors:
        raise FeedRejected("schema", "; ".join(errors[:3]))
    payload, signature = document["payload"], document["signature"]
    expected = keys.key_id(public_key)
    if signature["key_id"] != expected:
        raise FeedRejected("signature", f"key id {signature['key_id']}, expected {expected}")
    if not keys.verify(public_key, canonical(payload), signature["value"]):
        raise FeedRejected("signature", "does not verify with the peer's public key")
    if payload["town"]["code"] != town_code:
        raise FeedRejected("town", f"feed of {payload['town']['code']!r}, expected {town_code!r}")
    generated = datetime.strptime(payload["generated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if generated > now + CLOCK_SKEW:
        raise FeedRejected("freshness", f"generated {payload['generated_at']}, in the future")
    if now - generated > max_age:
        raise FeedRejected("freshness", f"generated {payload['generated_at']}, too old")
    if newer_than is not None and generated < newer_than:
        raise FeedRejected("freshness", "older than the feed already taken (a replay)")
    return CheckedFeed(payload, generated, signature["key_id"])
