"""`magnet-bot conversations open FILE` and `list`, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import cli_env, run_cli
from tests.support.conversations import seed_csv, seed_yaml


def test_open_check_and_list_from_the_command_line(tmp_path: Path) -> None:
    env = cli_env(MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(seed_yaml([("Ena.", "One."), ("Dve.", "")]))
    result = run_cli("conversations", "open", str(bad), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.yaml: line 7: the en text is empty" in result.stderr
    assert "bad.yaml: 2 statements; at least 10 are needed" in result.stderr
    assert "nothing opened: 2 problem(s)" in result.stderr

    good = tmp_path / "seed.csv"
    good.write_bytes(seed_csv())
    checked = run_cli("conversations", "open", str(good), "--dry-run", env=env, cwd=tmp_path)
    assert checked.returncode == 0 and "12 statement(s) checked" in checked.stdout
    opened = run_cli("conversations", "open", str(good), env=env, cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    assert "opened conversation 1 with 12 statement(s)" in opened.stdout
    listed = run_cli("conversations", "list", env=env, cwd=tmp_path)
    assert "What would make Celje better for young people?" in listed.stdout
    assert "open" in listed.stdout
    missing = run_cli("conversations", "open", str(tmp_path / "nope.yaml"), env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "cannot read nope.yaml" in missing.stderr
