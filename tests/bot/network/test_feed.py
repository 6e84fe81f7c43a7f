"""The network feed: k-safe (only figures the decision views show), valid against the shipped
JSON Schema, signed over its canonical form, and refused when its signature, schema, town or
age is wrong."""

from __future__ import annotations

import copy
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft202012Validator

from bot.services.network import keys
from bot.services.network.compare import compare
from bot.services.network.feed import (
    FeedRejected,
    build_payload,
    canonical,
    check_feed,
    schema,
    schema_errors,
    sign_feed,
)
from bot.services.network.peers import PeersError, load_peers
from bot.services.surveys.views import build
from tests.bot.services.surveys.test_views import fixture_survey, people

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
K = 5


def views(k: int = K):  # type: ignore[no-untyped-def]
    """A round with a small group (2 who might leave) and a scale whose cells are partly small."""
    responses = (
        people("celje", 9, "stay", mood=4)
        + people("celje", 2, "maybe", mood=1)
        + people("prebold", 7, "go", mood=5)
        + people("prebold", 3, "stay", mood=2)
    )
    return build(fixture_survey(), "decisions", 1, responses, k)


def signed(key: Ed25519PrivateKey, town: str = "celje", at: datetime = NOW) -> bytes:
    payload = build_payload(town, "Celje", K, [views()], at)
    return json.dumps(sign_feed(payload, key)).encode()


def check(body: bytes, key: Ed25519PrivateKey, town: str = "celje", **kw: object):  # type: ignore[no-untyped-def]
    return check_feed(
        body,
        town_code=town,
        public_key=key.public_key(),
        now=kw.pop("now", NOW),  # type: ignore[arg-type]
        max_age=DAY,
        **kw,  # type: ignore[arg-type]
    )


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(schema())


def test_the_feed_carries_only_figures_the_views_show() -> None:
    shown = views()
    payload = build_payload("celje", "Celje", K, [shown], NOW)
    assert schema_errors(sign_feed(payload, Ed25519PrivateKey.generate())) == []
    [survey] = payload["surveys"]
    assert survey["completed"] == 21 and survey["round"] == 1
    by_code = {q["code"]: q for q in survey["questions"]}
    for figure in shown.key:
        if figure.overall.total is None:
            assert figure.question not in by_code
            continue
        published = by_code[figure.question]
        hidden = {c for c, n in figure.overall.cells.items() if n is None}
        assert not hidden & set(published["counts"]), "a suppressed cell left the town"
        for code, n in published["counts"].items():
            assert n == figure.overall.cells[code] and (n == 0 or n >= K)
    # "I might leave" (2 people) is hidden, and so is a complementary cell beside it.
    assert by_code["plans"]["counts"] == {"stay": 12}
    assert by_code["plans"]["headline"] == {"options": ["stay"], "count": 12}
    assert by_code["plans"]["total"] == 21
    # No breakdowns, reasons or anything by municipality leave the town: counts per option only.
    assert "celje" not in json.dumps(survey) and "why_go" not in by_code


def test_a_round_under_k_publishes_no_survey() -> None:
    small = build(fixture_survey(), "decisions", 1, people("celje", 4, "stay"), K)
    assert build_payload("celje", "Celje", K, [small], NOW)["surveys"] == []


def test_the_signature_is_over_the_canonical_payload() -> None:
    key = Ed25519PrivateKey.generate()
    feed = json.loads(signed(key))
    # Served with any whitespace or key order, the feed still verifies ...
    reordered = json.dumps(dict(reversed(list(feed.items()))), indent=3).encode()
    assert check(reordered, key).payload == feed["payload"]
    assert canonical(feed["payload"]).startswith(b'{"generated_at":"2026-12-02T08:00:00Z","k":5')
    # ... but not with one count changed.
    tampered = copy.deepcopy(feed)
    tampered["payload"]["surveys"][0]["questions"][0]["total"] += 1
    with pytest.raises(FeedRejected) as refused:
        check(json.dumps(tampered).encode(), key)
    assert refused.value.reason == "signature"


def test_a_feed_signed_by_another_key_is_refused() -> None:
    with pytest.raises(FeedRejected) as refused:
        check(signed(Ed25519PrivateKey.generate()), Ed25519PrivateKey.generate())
    assert refused.value.reason == "signature" and "key id" in refused.value.detail


def test_a_feed_breaking_the_schema_is_refused_before_anything_else() -> None:
    key = Ed25519PrivateKey.generate()
    feed = json.loads(signed(key))
    feed["payload"]["surveys"][0]["questions"][0]["counts"]["stay"] = 2.5
    feed["payload"]["residents"] = [{"id": 1}]
    with pytest.raises(FeedRejected) as refused:
        check(json.dumps(feed).encode(), key)
    assert refused.value.reason == "schema"
    assert "/payload: additionalProperties" in refused.value.detail
    for body in (b"not json", b"[]"):
        with pytest.raises(FeedRejected):
            check(body, key)


def test_another_towns_feed_is_refused_even_when_signed() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(FeedRejected) as refused:
        check(signed(key, town="prebold"), key, town="celje")
    assert refused.value.reason == "town"


@pytest.mark.parametrize(
    ("at", "newer_than"),
    [(NOW - 2 * DAY, None), (NOW + timedelta(hours=1), None), (NOW - timedelta(hours=1), NOW)],
    ids=["too old", "from the future", "a replay of an older feed"],
)
def test_freshness(at: datetime, newer_than: datetime | None) -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(FeedRejected) as refused:
        check(signed(key, at=at), key, newer_than=newer_than)
    assert refused.value.reason == "freshness"
    assert check(signed(key, at=NOW - timedelta(hours=23)), key).payload["k"] == K


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    path = tmp_path / "town.key"
    public = keys.generate(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (tmp_path / "town.key.pub").read_text().strip() == public
    key = keys.load_private(path)
    assert keys.public_text(key.public_key()) == public
    assert keys.verify(keys.parse_public(public), b"x", keys.sign(key, b"x"))
    with pytest.raises(keys.KeyProblem, match="exists already"):
        keys.generate(path)
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    with pytest.raises(keys.KeyProblem, match="git work tree"):
        keys.generate(tmp_path / "repo" / "town.key")


def test_a_peers_file_names_every_bad_entry(tmp_path: Path) -> None:
    good = keys.public_text(Ed25519PrivateKey.generate().public_key())
    path = tmp_path / "peers.yaml"
    path.write_text(
        "peers:\n"
        f"  - {{code: prebold, name: Prebold, url: 'https://prebold.example/feed', public_key: {good}}}\n"
        "  - {code: Zalec, name: Žalec, url: x, public_key: y}\n"
        "  - {code: velenje, name: '', url: 'ftp://x', public_key: 'bm90IGEga2V5'}\n",
        encoding="utf-8",
    )
    with pytest.raises(PeersError) as problems:
        load_peers(path)
    text = str(problems.value)
    assert "peer 2: code must be" in text
    assert "peer 'velenje': name is missing" in text and "peer 'velenje': url" in text
    assert "peer 'velenje': public_key" in text
    path.write_text(path.read_text().splitlines()[0] + "\n" + path.read_text().splitlines()[1])
    [peer] = load_peers(path)
    assert (peer.code, peer.name, peer.key_id) == (
        "prebold",
        "Prebold",
        keys.key_id(peer.public_key),
    )


def test_questions_compare_only_when_their_codes_agree() -> None:
    ours = build_payload("celje", "Celje", K, [views()], NOW)
    peer = copy.deepcopy(ours)
    peer["town"] = {"code": "prebold", "name": "Prebold"}
    questions = {q["code"]: q for q in peer["surveys"][0]["questions"]}
    questions["plans"]["headline"]["count"] = 6  # 6 of 21 would stay there
    other = copy.deepcopy(peer)
    other["town"] = {"code": "zalec", "name": "Žalec"}
    for q in other["surveys"][0]["questions"]:
        q["options"] = [*q["options"], "extra"]  # asked differently: not compared
    rows = compare(ours, [("prebold", "Prebold", peer), ("zalec", "Žalec", other)], K)
    plans = next(r for r in rows if r.question == "plans")
    assert round(plans.ours.share or 0) == 57 and round(plans.peers[0].share or 0) == 29
    assert plans.peers[1].share is None
    assert plans.median == pytest.approx((12 / 21 + 6 / 21) / 2 * 100)
    # A town whose figure rests on fewer than our k answers is not set beside ours.
    assert compare(ours, [("p", "P", peer)], 50) == []
