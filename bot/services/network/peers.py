"""The peers a town compares itself with: a YAML file of code, name, feed URL and public key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.services.network import keys

CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class PeersError(ValueError):
    """A peers file that cannot be used; the message names every bad entry."""


@dataclass(frozen=True)
class Peer:
    code: str
    name: str
    url: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return keys.key_id(self.public_key)


def load_peers(path: Path, own_code: str | None = None) -> list[Peer]:
    """The peers of `path` (`peers: [{code, name, url, public_key}, ...]`)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PeersError(f"{path}: cannot be read as YAML ({exc.__class__.__name__})") from None
    entries = data.get("peers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise PeersError(f"{path}: expected a list under `peers:`")
    problems: list[str] = []
    peers: list[Peer] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        where = f"peer {n}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected code, name, url and public_key")
            continue
        code, name, url, key = (entry.get(f) for f in ("code", "name", "url", "public_key"))
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(f"{where}: code must be lower-case letters, digits, _ . -")
            continue
        where = f"peer {code!r}"
        if code in seen or code == own_code:
            problems.append(f"{where}: listed twice (or is this town's own code)")
        seen.add(code)
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: name is missing")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems.append(f"{where}: url must start with https:// (or http:// on loopback)")
        try:
            public = keys.parse_public(str(key or ""))
        except keys.KeyProblem as exc:
            problems.append(f"{where}: public_key: {exc}")
            continue
        if not problems:
            peers.append(Peer(code, str(name).strip(), str(url), public))
    if problems:
        raise PeersError(f"{path}:\n  " + "\n  ".join(problems))
    return peers
