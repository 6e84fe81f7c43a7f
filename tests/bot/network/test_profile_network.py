"""The network section of a town's profile: its code by default, the key and peers files
relative to the profile, and MAGNET_NETWORK_* winning over them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.config import ConfigError, load_settings
from bot.profile import default_profile_path
from bot.services.network import keys

PEERS = "peers:\n  - {{code: {code}, name: {name}, url: 'https://{code}.example/feed', public_key: '{key}'}}\n"


def town(tmp_path: Path, network: dict | None) -> Path:  # type: ignore[type-arg]
    data = yaml.safe_load(default_profile_path().read_text(encoding="utf-8"))
    if network is not None:
        data["network"] = network
    folder = tmp_path / "town"
    folder.mkdir(exist_ok=True)
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def peers(path: Path, code: str) -> Path:
    public = keys.public_text(Ed25519PrivateKey.generate().public_key())
    path.write_text(PEERS.format(code=code, name=code.title(), key=public), encoding="utf-8")
    return path


def test_the_profile_carries_the_network_and_the_environment_wins(tmp_path: Path) -> None:
    profile = town(tmp_path, {"name": "MAGNET", "key_file": "town.key", "peers_file": "peers.yaml"})
    keys.generate(profile.parent / "town.key")
    peers(profile.parent / "peers.yaml", "zalec")
    settings = load_settings(profile=profile)
    assert settings.network_code == "magnet"  # the profile's code: its project in lower case
    assert settings.network_name == "MAGNET"
    assert settings.network_key == (profile.parent / "town.key").resolve()
    assert settings.network_peers == (profile.parent / "peers.yaml").resolve()
    assert settings.network_fetch_every == 60.0

    elsewhere = peers(tmp_path / "other.yaml", "velenje")
    settings = load_settings(
        profile=profile,
        network_town_code="celje",
        network_peers_file=elsewhere,
        network_fetch_minutes=5,
    )
    assert (settings.network_code, settings.network_peers) == ("celje", elsewhere)
    assert settings.network_fetch_every == 5
    assert settings.network_key == (profile.parent / "town.key").resolve()


def test_without_a_network_section_only_the_code_is_the_profiles(tmp_path: Path) -> None:
    settings = load_settings(profile=town(tmp_path, None))
    assert settings.network_code == "magnet"
    assert settings.network_key is None and settings.network_peers is None


def test_a_bad_network_section_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(profile=town(tmp_path, {"peers_file": "missing.yaml"}))
    assert "network.peers_file:" in str(refused.value) and "does not exist" in str(refused.value)
    profile = town(tmp_path, {"key_file": "town.key"})
    (profile.parent / "town.key").write_text("not a key", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(profile=profile)
    assert "MAGNET_PROFILE network:" in str(refused.value)
    assert "not a readable unencrypted PEM" in str(refused.value)
