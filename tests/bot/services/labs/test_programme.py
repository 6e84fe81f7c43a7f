"""`magnet-bot labs import`: a season's programme from YAML or CSV, all of it or nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import cli_env, run_cli

YAML = """\
labs:
  - title_sl: Dostopna stanovanja za mlade
    title_en: Affordable housing for young people
    description_sl: Pogovor z mestno upravo o stanovanjski politiki.
    description_en: A talk with the city administration about housing.
    hub: celje
    topic: housing
    start: 2030-03-05 17:00
    end: "19:00"
    capacity: 20
    reminders: 24, 2
  - title_sl: Sončna elektrarna na šoli
    title_en: A solar plant on the school roof
    description_sl: Energetska skupnost Prebold.
    description_en: The Prebold energy community.
    hub: prebold
    topic: energy
    start: 12. 3. 2030 18:00
    end: 90 min
    guests: 1
"""

CSV_BAD = """\
title_sl;title_en;description_sl;description_en;hub;topic;start;end;capacity
Mobilnost;Mobility;Opis;Description;celje;mobility;2030-04-01 17:00;19:00;15
Kultura;;Opis;Description;ljubljana;culture;včeraj;19:00;mnogo
"""


def _env_for(tmp_path: Path) -> dict[str, str]:
    return cli_env(MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}")


def test_import_yaml_then_list(tmp_path: Path) -> None:
    env = _env_for(tmp_path)
    (tmp_path / "season.yaml").write_text(YAML, encoding="utf-8")
    checked = run_cli("labs", "import", "season.yaml", "--dry-run", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "2 lab(s) checked, nothing stored" in checked.stdout
    assert run_cli("labs", "list", env=env, cwd=tmp_path).stdout.strip() == ""
    done = run_cli("labs", "import", "season.yaml", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "imported 2 lab(s)" in done.stdout
    listed = run_cli("labs", "list", env=env, cwd=tmp_path).stdout.splitlines()
    assert len(listed) == 2
    assert "2030-03-05 17:00" in listed[0] and "0/20" in listed[0]
    assert "2030-03-12 18:00" in listed[1] and "open" in listed[1]


def test_a_bad_csv_row_imports_nothing_and_names_each_problem(tmp_path: Path) -> None:
    env = _env_for(tmp_path)
    (tmp_path / "season.csv").write_text(CSV_BAD, encoding="utf-8")
    result = run_cli("labs", "import", "season.csv", env=env, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "row 2, title_en: This field is required." in lines
    assert any(line.startswith("row 2, hub: Unknown hub 'ljubljana'") for line in lines)
    assert any(line.startswith("row 2, start: I couldn't read that") for line in lines)
    assert any(line.startswith("row 2, capacity: Please write a whole number") for line in lines)
    assert not any(line.startswith("row 1") for line in lines)
    assert "nothing imported: 4 problem(s)" in lines[-1]
    assert run_cli("labs", "list", env=env, cwd=tmp_path).stdout.strip() == ""


def test_unreadable_files_say_why(tmp_path: Path) -> None:
    env = _env_for(tmp_path)
    (tmp_path / "odd.yaml").write_text("labs: {title_sl: [", encoding="utf-8")
    (tmp_path / "extra.csv").write_text("title_sl,colour\nA,red\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    for name, expected in (
        ("odd.yaml", "not valid YAML"),
        ("extra.csv", "unknown column(s) colour"),
        ("notes.txt", "use a .yaml, .yml or .csv file"),
        ("missing.yaml", "cannot read missing.yaml"),
    ):
        result = run_cli("labs", "import", name, env=env, cwd=tmp_path)
        assert result.returncode == 1 and expected in result.stderr, (name, result.stderr)
