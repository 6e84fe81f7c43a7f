"""`magnet-bot conversations open FILE` and `list`, as an operator runs them."""

from __future__ import annotations

import json
import sqlite3
import zipfile
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


def test_export_a_conversation_from_the_command_line(tmp_path: Path) -> None:
    env = cli_env(MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    good = tmp_path / "seed.yaml"
    good.write_bytes(seed_yaml())
    assert run_cli("conversations", "open", str(good), env=env, cwd=tmp_path).returncode == 0
    out = tmp_path / "talk.zip"
    exported = run_cli("conversations", "export", "1", "--out", str(out), env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert f"conversation 1 (0 voters) written to {out}" in exported.stdout
    with zipfile.ZipFile(out) as bundle:
        statements = bundle.read("statements.csv").decode("utf-8-sig").splitlines()
    assert len(statements) == 1 + 12 and statements[0].startswith("statement,status,text_sl")
    book = tmp_path / "talk.xlsx"
    assert (
        run_cli(
            "conversations", "export", "1", "--out", str(book), env=env, cwd=tmp_path
        ).returncode
        == 0
    )
    assert book.read_bytes()[:2] == b"PK"  # a workbook is a zip too
    wrong = run_cli("conversations", "export", "1", "--out", "talk.txt", env=env, cwd=tmp_path)
    assert wrong.returncode == 2 and ".zip (CSV files) or .xlsx" in wrong.stderr
    missing = run_cli("conversations", "export", "9", "--out", str(out), env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "there is no conversation 9" in missing.stderr
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        logged = db.execute(
            "SELECT subject, details FROM audit_log WHERE action = 'conversation.export'"
        ).fetchall()
    assert [(subject, json.loads(details)["route"]) for subject, details in logged] == [
        ("1", "cli"),
        ("1", "cli"),
    ]
