"""The comparison in the digest's words: Slovenian plurals of the median's towns, a peer
without a figure marked as hidden, and a wrongly configured network refused at start."""

from __future__ import annotations

import statistics
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from bot.i18n import I18n
from bot.services.network.compare import Comparison, TownShare
from bot.services.network.notices import digest_lines
from tests.bot.services.surveys.test_views import fixture_survey

TZ = ZoneInfo("Europe/Ljubljana")


def row(*peers: float | None) -> Comparison:
    shares = tuple(TownShare(f"p{i}", f"Kraj {i}", s, 20) for i, s in enumerate(peers))
    median = statistics.median(s for s in (50.0, *peers) if s is not None)
    return Comparison("decisions", "plans", TownShare("celje", "Celje", 50.0, 21), median, shares)


@pytest.mark.parametrize(
    ("peers", "towns"),
    [((60.0,), "2 kraja"), ((60.0, 70.0), "3 kraji"), ((60.0, 70.0, 40.0, 45.0), "5 krajev")],
)
def test_the_digest_lines_in_slovenian(peers: tuple[float, ...], towns: str) -> None:
    tr = I18n(TZ, "sl").get("sl")
    lines = digest_lines(tr, fixture_survey(), [row(*peers)])
    assert lines[1] == "<b>🌍 V primerjavi z drugimi kraji mreže</b>"
    assert lines[3] == "<i>Ali nameravate ostati?</i>"
    assert lines[4].startswith("• ostali bodo: Celje (naš kraj) 50 % · mediana mreže ")
    assert f"({towns})" in lines[4] and "Kraj 0 60 %" in lines[4]


def test_a_peer_without_a_figure_is_marked_hidden_and_other_surveys_are_left_out() -> None:
    tr = I18n(TZ, "en").get("en")
    lines = digest_lines(tr, fixture_survey(), [row(None, 60.0)])
    assert (
        lines[-1]
        == "• will stay: Celje (us) 50 % · network median 55 % (2 towns) · Kraj 0 • · Kraj 1 60 %"
    )
    other = Comparison("other", "plans", TownShare("c", "C", 1.0, 9), 1.0, ())
    assert digest_lines(tr, fixture_survey(), [other]) == []


def test_a_bad_peers_file_or_key_is_refused_at_start(tmp_path: Path) -> None:
    peers = tmp_path / "peers.yaml"
    peers.write_text("peers:\n  - {code: prebold, name: Prebold, url: x, public_key: y}\n")
    key = tmp_path / "town.key"
    key.write_text("not a key")
    with pytest.raises(ConfigError) as refused:
        load_settings(network_peers_file=peers, network_key_file=key, network_town_code="Celje!")
    text = str(refused.value)
    assert "MAGNET_NETWORK_PEERS_FILE:" in text and "peer 'prebold': url" in text
    assert "MAGNET_NETWORK_KEY_FILE:" in text and "not a readable unencrypted PEM" in text
    assert "MAGNET_NETWORK_TOWN_CODE:" in text
