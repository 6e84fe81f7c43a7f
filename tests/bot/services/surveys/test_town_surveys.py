"""A town's own survey (MAGNET_SURVEYS_DIR): checked by `magnet-bot surveys check`, loaded
instead of the shipped one, run by the bot, and exported with its roles in the codebook."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import load_surveys
from bot.config import ConfigError, load_settings
from bot.domain import Role as StaffRole
from bot.services.surveys.definition import CONTENT_DIR, Role, shipped
from bot.services.surveys.notices import digest_text
from tests.bot.services.surveys.test_digests import seed
from tests.support.cli import cli_env, run_cli
from tests.support.harness import ADMIN_ID, running_bot, seed_resident

TOWN: dict[str, Any] = {
    "code": "zalec_youth",
    "title": {"sl": "Mladi v Žalcu", "en": "Young people in Žalec"},
    "intro": {"sl": "Kratka anketa.", "en": "A short survey."},
    "minutes": 2,
    "sections": [
        {
            "code": "main",
            "title": {"sl": "Vprašanja", "en": "Questions"},
            "questions": [
                {
                    "code": "plan",
                    "type": "single",
                    "text": {"sl": "Ali boste ostali?", "en": "Will you stay?"},
                    "report": {
                        "role": "key",
                        "by": ["age_band"],
                        "headline": ["yes"],
                        "label": {"sl": "bodo ostali", "en": "will stay"},
                    },
                    "options": [
                        {"code": "yes", "sl": "Da", "en": "Yes"},
                        {"code": "no", "sl": "Ne", "en": "No"},
                    ],
                },
                {
                    "code": "why_go",
                    "type": "multi",
                    "other": True,
                    "text": {"sl": "Zakaj bi odšli?", "en": "Why would you go?"},
                    "show_if": {"question": "plan", "in": ["no"]},
                    "report": {"role": "push", "among": {"question": "plan", "in": ["no"]}},
                    "options": [
                        {"code": "flats", "sl": "Stanovanja", "en": "Flats"},
                        {"code": "jobs", "sl": "Delo", "en": "Jobs"},
                    ],
                },
            ],
        }
    ],
}


def write(directory: Path, name: str, data: dict[str, Any]) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_town_directory_is_what_the_bot_loads(tmp_path: Path) -> None:
    write(tmp_path, "zalec.yaml", TOWN)
    (tmp_path / "zalec.methods.md").write_text("# notes, not loaded", encoding="utf-8")
    (survey,) = load_surveys(load_settings(surveys_dir=str(tmp_path)))
    assert survey.code == "zalec_youth"
    assert [q.code for q in survey.reported(Role.KEY)] == ["plan"]
    assert [q.code for q in survey.reported(Role.PUSH)] == ["why_go"]
    # Unset: the shipped ones.
    assert [s.code for s in load_surveys(load_settings())] == [s.code for s in shipped()]


def test_a_broken_town_directory_stops_the_bot_with_the_problem_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        load_surveys(load_settings(surveys_dir=str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match=r"no survey definitions \(\*\.yaml\)"):
        load_surveys(load_settings(surveys_dir=str(tmp_path)))
    bad = copy.deepcopy(TOWN)
    bad["sections"][0]["questions"][1]["report"]["among"]["in"] = ["maybe"]
    write(tmp_path, "zalec.yaml", bad)
    with pytest.raises(ConfigError, match="among: 'plan' has no option 'maybe'"):
        load_surveys(load_settings(surveys_dir=str(tmp_path)))


def test_surveys_check_validates_a_directory_roles_included(tmp_path: Path) -> None:
    town = tmp_path / "town"
    town.mkdir()
    write(town, "zalec.yaml", TOWN)
    bad = copy.deepcopy(TOWN)
    bad["code"] = "prebold_youth"
    bad["sections"][0]["questions"][0]["report"]["headline"] = ["perhaps"]
    bad["sections"][0]["questions"][1]["report"]["role"] = "key"
    write(town, "prebold.yaml", bad)
    write(town, "copy.yaml", TOWN)  # the same code twice
    result = run_cli("surveys", "check", str(town), env=cli_env(), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "copy.yaml: ok (2 questions in 1 sections, 2 with a report role)" in lines
    assert "prebold.yaml: question plan report: headline: no option 'perhaps'" in lines
    assert (
        "prebold.yaml: question why_go report: a key question must be single choice or a "
        "scale, not multi"
    ) in lines
    assert "zalec.yaml: survey code 'zalec_youth' is also copy.yaml" in lines
    assert len(lines) == 4
    (town / "copy.yaml").unlink()
    (town / "prebold.yaml").unlink()
    # Without arguments: MAGNET_SURVEYS_DIR, else the shipped ones; both pass.
    env = cli_env(MAGNET_SURVEYS_DIR=str(town))
    assert run_cli("surveys", "check", env=env, cwd=tmp_path).returncode == 0
    shipped_run = run_cli("surveys", "check", env=cli_env(), cwd=tmp_path)
    assert shipped_run.returncode == 0
    assert shipped_run.stdout.startswith("stay_or_leave.yaml: ok (")
    listed = run_cli("surveys", "list", env=env, cwd=tmp_path)
    assert listed.stdout.startswith("zalec_youth: 2 questions")


def test_the_shipped_instrument_passes_the_check(tmp_path: Path) -> None:
    result = run_cli("surveys", "check", str(CONTENT_DIR), env=cli_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        "stay_or_leave.yaml: ok (24 questions in 4 sections, 22 with a report role)"
    ]


async def test_the_bot_runs_the_town_survey_and_exports_its_roles(
    emulator, sqlite_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, "zalec.yaml", TOWN)
    async with running_bot(emulator, sqlite_url, surveys_dir=str(tmp_path)) as bot:
        assert list(bot.services.surveys.shipped) == ["zalec_youth"]
        await bot.services.roles.grant(ADMIN_ID, 700, StaffRole.COORDINATOR)
        await bot.services.surveys.rounds.open(700, "zalec_youth")
        ana = await seed_resident(bot, 801, "Ana", "sl")
        await ana.send("/anketa")
        assert "Mladi v Žalcu" in ana.last.text
        await ana.click("🕶 Odgovarjam anonimno")
        assert "Ali boste ostali?" in ana.last.text
        await ana.click("Ne")
        await ana.click("▫️ Delo")
        await ana.click("▫️ Drugo …")
        await ana.send("Ni kina")
        await ana.click("Končano ✔")
        await ana.click("✅ Oddaj")
        assert "Hvala!" in ana.messages[-1].text or "Hvala!" in ana.messages[-2].text
        exports = bot.services.exports
        plan = await exports.plan("zalec_youth", 1)
        text = b"".join([c async for c in exports.csv_chunks(plan)]).decode("utf-8-sig")
        (row,) = csv.DictReader(io.StringIO(text))
        assert row["plan"] == "no" and row["why_go.jobs"] == "1" and row["why_go.other"] == "1"
        assert row["why_go.other_text"] == "Ni kina"
        book = exports.codebook_csv(plan).decode("utf-8-sig")
        roles = {r["column"]: r["role"] for r in csv.DictReader(io.StringIO(book)) if r["column"]}
        assert roles["plan"] == "key" and roles["why_go.jobs"] == "push"

        # The digest reports the town's own key and push questions, as its roles say.
        stay = {"plan": "yes"}
        flats, jobs = {"plan": "no", "why_go": ["flats"]}, {"plan": "no", "why_go": ["jobs"]}
        people = [stay] * 10 + [flats] * 5 + [jobs] * 4
        await seed(bot.services.sessions, people, municipality=["celje"])
        data = await bot.services.digests.gather("zalec_youth")
        assert data is not None and data.completed == 20 and data.views.roles_declared
        assert [k.question for k in data.views.key] == ["plan"]
        assert [r.question for r in data.views.push] == ["why_go"] and not data.views.pull
        assert data.views.push[0].people == 10  # Ana and nine more, among those who would go
        text = digest_text(bot.services.i18n.get("sl"), data)
        assert "Ali boste ostali?" in text and "bodo ostali: 50 %" in text
        assert "Zakaj bi odšli?" in text and "Stanovanja: 50 %" in text and "Delo: 50 %" in text
