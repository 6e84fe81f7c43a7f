"""The town's Ed25519 key pair: written once by `magnet-bot network keygen`, the private half
kept out of the repository and the database, the public half handed to the peers."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class KeyProblem(ValueError):
    """A key file or a public key that cannot be used; the message says why."""


def generate(path: Path) -> str:
    """Write a new private key to `path` (mode 0600, never over an existing file) and its
    public key beside it (`path`.pub); return the public key as peers write it down."""
    if path.exists():
        raise KeyProblem(f"{path} exists already: a town keeps its key (remove it to start over)")
    if _inside_git_work_tree(path):
        raise KeyProblem(f"{path} is inside a git work tree: keep the private key out of any repo")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 from the start, not chmod-ed after: no moment when others may read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = public_text(key.public_key())
    path.with_name(path.name + ".pub").write_text(public + "\n", encoding="ascii")
    return public


def _inside_git_work_tree(path: Path) -> bool:
    return any((parent / ".git").exists() for parent in path.resolve().parents)


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyProblem(f"{path}: not a readable unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path}: not an Ed25519 key (make one with `magnet-bot network keygen`)")
    return key


def too_open(path: Path) -> bool:
    """Group or others may read the private key."""
    return os.name == "posix" and bool(path.stat().st_mode & 0o077)


def public_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in standard base64, as the peers file holds it."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise KeyProblem("not an Ed25519 public key (32 bytes in base64)") from exc


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of the key: the first 16 hex digits of SHA-256 over its raw bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify(key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
