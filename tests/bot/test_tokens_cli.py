"""`magnet-bot tokens`: create (shown once, stored hashed), list, revoke."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tests.support.cli import cli_env, run_cli


def test_tokens_are_shown_once_stored_hashed_and_revocable(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    env = cli_env(MAGNET_DATABASE_URL=f"sqlite:///{db}")
    created = run_cli("tokens", "create", "analysis laptop", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[-1]
    assert token.startswith("mgt_") and len(token) > 40
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT token_hash FROM staff_tokens").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert token not in db.read_bytes().decode("latin-1")
    listed = run_cli("tokens", "list", env=env, cwd=tmp_path).stdout
    assert "active" in listed and "analysis laptop" in listed and token not in listed
    assert run_cli("tokens", "revoke", "1", env=env, cwd=tmp_path).returncode == 0
    assert "revoked" in run_cli("tokens", "list", env=env, cwd=tmp_path).stdout
    again = run_cli("tokens", "revoke", "1", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "no active token 1" in again.stderr
