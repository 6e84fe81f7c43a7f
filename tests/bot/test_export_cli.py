"""`magnet-bot export`: a round's answers to a file, in each format, audit-logged like the rest."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

from openpyxl import load_workbook

from bot.app import open_services
from bot.config import load_settings
from tests.support.cli import cli_env, run_cli
from tests.support.surveys import answer_survey


async def _answered(url: str) -> None:
    settings = load_settings(
        database_url=url, auto_migrate=True, survey_secret="a-test-key-that-is-not-in-the-database"
    )
    services = await open_services(settings)
    try:
        await services.surveys.rounds.open(1, "stay_or_leave")
        for telegram_id in (41, 42, 43):
            await answer_survey(SimpleNamespace(services=services), telegram_id, anonymous=True)  # type: ignore[arg-type]
    finally:
        await services.engine.dispose()


def test_export_writes_each_format_and_is_audit_logged(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    asyncio.run(_answered(f"sqlite+aiosqlite:///{db}"))
    env = cli_env(MAGNET_DATABASE_URL=f"sqlite:///{db}")
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"answers.{fmt}"
        args = ["export", "--survey", "stay_or_leave", "--format", fmt, "--out", str(out)]
        if fmt == "csv":
            args += ["--codebook", str(tmp_path / "codebook.csv")]
        result = run_cli(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "answers.csv").read_text("utf-8-sig"))))
    assert [r["respondent"] for r in rows] == ["R000001", "R000002", "R000003"]
    workbook = load_workbook(tmp_path / "answers.xlsx", read_only=True)
    sheet = list(workbook["answers"].values)
    workbook.close()  # read-only workbooks keep their file open until closed
    assert len(sheet) == 4
    assert len(json.loads((tmp_path / "answers.json").read_text("utf-8"))) == 3
    assert "reasons_stay" in (tmp_path / "codebook.csv").read_text("utf-8-sig")
    with sqlite3.connect(db) as connection:
        routes = connection.execute(
            "SELECT details FROM audit_log WHERE action = 'survey.export'"
        ).fetchall()
    assert sorted(json.loads(d)["format"] for (d,) in routes) == ["csv", "json", "xlsx"]
    assert {json.loads(d)["route"] for (d,) in routes} == {"cli"}
    missing = run_cli(
        "export",
        "--survey",
        "stay_or_leave",
        "--round",
        "9",
        "--out",
        "x.csv",
        env=env,
        cwd=tmp_path,
    )
    assert missing.returncode == 1 and "nothing to export" in missing.stderr
