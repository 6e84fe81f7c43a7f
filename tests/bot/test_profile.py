"""The town profile: the shipped one is MAGNET Celje + Prebold as the code had it; a bad
one is refused at start and by `magnet-bot profile check`, one line per bad field."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config import ConfigError, load_settings
from bot.domain import codes
from bot.i18n import I18n, resolve_locale
from bot.profile import ProfileError, default_profile_path, load_profile, parse_profile
from bot.services.surveys.view_types import MAGNET_MUNICIPALITY_GROUPS
from tests.support.cli import cli_env, run_cli
from tests.support.harness import running_bot

ZELENGRAD = Path(__file__).parent.parent / "fixtures" / "profiles" / "zelengrad" / "profile.yaml"


def shipped() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(default_profile_path().read_text(encoding="utf-8"))


def test_the_shipped_profile_keeps_every_code_in_use() -> None:
    town = load_profile()
    assert codes(town.municipalities) == {"celje", "prebold", "savinjska", "slovenia", "abroad"}
    assert codes(town.topics) == {"housing", "mobility", "industry", "culture", "energy"}
    assert [h.code for h in town.hubs] == ["celje", "prebold"]
    assert town.languages == ("sl", "en") and town.default_language == "sl"
    tr = I18n(ZoneInfo("Europe/Ljubljana")).get("sl")
    assert [m.answer_text(tr) for m in town.municipalities][:2] == ["V Celju", "V Preboldu"]
    assert town.topics[0].text(tr) == "Cenovno dostopna stanovanja"


def test_a_missing_language_reads_english() -> None:
    town = load_profile(ZELENGRAD)
    sl = I18n(ZoneInfo("UTC"), profile=town).get("sl")
    labels = [t.text(sl) for t in town.topics]
    assert labels == ["Čiste reke", "Šole", "Night life"]
    assert town.missing_labels() == [
        "municipalities.elsewhere: no sl; shown in English",
        "topics.night: no sl; shown in English",
    ]
    assert town.text("greeting", "sl") is not None and town.text("about", "en") is None


def test_every_bad_field_is_named() -> None:
    data = shipped()
    data["languages"] = ["sl", "en", "xx"]
    data["municipalities"][1]["code"] = "Pre bold"
    data["topics"][0]["label"] = {"sl": "Stanovanja"}
    data["topics"][1]["colour"] = "green"
    data["controller"]["privacy_url"] = "moc.celje.si"
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, "town.yaml")
    problems = caught.value.problems
    assert problems[0].startswith("languages: 'xx' is not a language Babel knows")
    assert any(p.startswith("municipalities.Pre bold.code: String should match") for p in problems)
    assert "topics.housing.label: needs an English text (en)" in problems[2]
    assert "topics.mobility.colour: unknown field (a typo?)" in problems
    assert "controller.privacy_url: must start with https://" in problems
    assert len(problems) == 5


def test_codes_hubs_and_languages_must_agree() -> None:
    data = shipped()
    data["topics"].append(dict(data["topics"][0]))
    data["hubs"][1]["municipality"] = "zalec"
    data["default_language"] = "de"
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert caught.value.problems == [
        "default_language 'de' is not in languages",
        "topics: code 'housing' appears twice",
        "hubs.prebold.municipality: 'zalec' is not one of the municipalities "
        "(abroad, celje, prebold, savinjska, slovenia)",
    ]


def test_a_bad_profile_stops_the_bot_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "town.yaml"
    bad.write_text("project: X\nlanguages: [sl]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(profile=str(bad))
    message = str(caught.value)
    assert "MAGNET_PROFILE" in message and "towns: Field required" in message
    assert "languages: must include en" in message
    with pytest.raises(ConfigError, match=r"MAGNET_DEFAULT_LOCALE: 'de' is not one of the profile"):
        load_settings(default_locale="de")


def test_languages_follow_the_profile() -> None:
    assert resolve_locale(None, "de-AT", "sl", ("sl", "en")) == "en"
    assert resolve_locale(None, "de-AT", "sl", ("sl", "en", "de")) == "de"
    assert resolve_locale("hr", None, "sl", ("sl", "en")) == "sl"
    data = shipped()
    data["languages"] = ["sl", "en", "hu"]
    with pytest.raises(ValueError, match="no catalog for 'hu'"):
        I18n(ZoneInfo("UTC"), profile=parse_profile(data))


def test_profile_check_prints_one_problem_a_line(tmp_path: Path) -> None:
    result = run_cli("profile", "check", str(ZELENGRAD), env=cli_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].endswith("profile.yaml: ok")
    assert "note: topics.night: no sl; shown in English" in result.stdout
    data = shipped()
    data["languages"] = ["sl", "en", "hu"]
    data["hubs"][0]["map_url"] = "openstreetmap.org"
    data["surveys"] = "nowhere"
    bad = tmp_path / "town.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run_cli("profile", "check", str(bad), env=cli_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["hubs.celje.map_url: must start with https://"]
    del data["hubs"][0]["map_url"]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run_cli("profile", "check", str(bad), env=cli_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"surveys: {tmp_path / 'nowhere'} does not exist"]
    del data["surveys"]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run_cli("profile", "check", str(bad), env=cli_env(), cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line for line in lines if not line.startswith("note: ")] == [
        "languages: no catalog for hu (hu/LC_MESSAGES/messages.po)"
    ]
    assert "note: topics.energy: no hu; shown in English" in lines
    assert lines[-1] == (
        "note: surveys, labs, stories, announcements: written in sl and en; hu read the English text"
    )


def test_profile_apply_reconciles_the_hubs_by_code(tmp_path: Path) -> None:
    data = shipped()
    data["hubs"][0]["address"] = "Krekov trg 3, 3000 Celje"
    data["hubs"].append(
        {
            "code": "zalec",
            "name": {"en": "Hub Žalec"},
            "address": "3310 Žalec",
            "municipality": "savinjska",
        }
    )
    town = tmp_path / "town.yaml"
    town.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = cli_env(
        MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}", MAGNET_PROFILE=str(town)
    )
    migrated = run_cli("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    # Migrating (and starting) only says how the hubs differ; applying stays explicit.
    drift = (
        "hubs differ from the profile: update celje: address; add zalec "
        "(run `magnet-bot profile apply` if the profile is meant)"
    )
    assert migrated.stdout.splitlines()[-1] == drift
    checked = run_cli("profile", "check", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"note: {drift}" in checked.stdout.splitlines()
    result = run_cli("profile", "apply", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["updated celje: address", "added zalec"]
    migrated = run_cli("migrate", env=env, cwd=tmp_path)
    assert "hubs differ" not in migrated.stdout
    assert "hubs differ" not in run_cli("profile", "check", env=env, cwd=tmp_path).stdout
    result = run_cli("hubs", "list", env=env, cwd=tmp_path)
    assert "Krekov trg 3, 3000 Celje" in result.stdout and "Hub Žalec" in result.stdout
    again = run_cli("profile", "apply", env=env, cwd=tmp_path)
    assert again.stdout.splitlines() == ["the hubs already match the profile"]


def test_a_greeting_may_only_name_the_resident_project_and_towns() -> None:
    data = shipped()
    data["texts"]["greeting"]["en"] = "Hi %(nome)s, we are 100% for you"
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert caught.value.problems == [
        "texts.greeting: the en text may hold only %(name)s, %(project)s and %(towns)s "
        "(write a percent sign as %%)"
    ]


def test_the_shipped_groups_are_magnets() -> None:
    town = load_profile()
    assert town.municipality_groups == MAGNET_MUNICIPALITY_GROUPS
    assert [town.group_label(c, "sl") for c, _ in town.municipality_groups] == [
        "Celje",
        "Prebold",
        "Drugod v regiji",
        "Zunaj regije",
    ]
    assert town.group_label("outside", "de") == "Outside the region"


def test_groups_default_to_each_municipality_and_the_rest_takes_the_unlisted() -> None:
    data = shipped()
    del data["groups"]
    town = parse_profile(data)
    assert town.municipality_groups == (
        ("celje", ("celje",)),
        ("prebold", ("prebold",)),
        ("savinjska", ("savinjska",)),
        ("slovenia", ("slovenia",)),
        ("abroad", ("abroad", None)),
    )
    assert town.group_label("abroad", "sl") == "V tujini"
    data["groups"] = [
        {"code": "celje", "municipalities": ["celje"]},
        {"code": "other", "label": "Anywhere else", "rest": True},
    ]
    town = parse_profile(data)
    assert town.municipality_groups == (
        ("celje", ("celje",)),
        ("other", ("prebold", "savinjska", "slovenia", "abroad", None)),
    )
    assert town.group_label("other", "sl") == "Anywhere else"


def test_bad_groups_are_named() -> None:
    data = shipped()
    data["groups"] = [
        {"code": "celje", "municipalities": ["celje", "zalec"]},
        {"code": "both", "municipalities": ["celje", "prebold"]},
        {"code": "celje", "municipalities": ["savinjska"]},
        {"code": "empty"},
    ]
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert caught.value.problems == [
        "groups: code 'celje' appears twice",
        "groups.celje.municipalities: 'zalec' is not one of the municipalities "
        "(abroad, celje, prebold, savinjska, slovenia)",
        "groups.celje: needs a label (it is not one municipality)",
        "groups.both.municipalities: 'celje' is already in celje",
        "groups.both: needs a label (it is not one municipality)",
        "groups.empty: lists no municipalities",
        "groups.empty: needs a label (it is not one municipality)",
        "groups: exactly one group needs `rest: true` (it takes the municipalities no group "
        "lists and those who did not say); found 0",
    ]


async def test_a_start_reports_hubs_that_differ_from_the_profile_and_changes_nothing(
    emulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        async with running_bot(emulator, sqlite_url, profile=str(ZELENGRAD)) as bot:
            assert [h.code for h in await bot.services.hubs.list_hubs()] == ["celje", "prebold"]
    lines = [r.getMessage() for r in caplog.records if "hubs differ" in r.getMessage()]
    assert lines == [
        "hubs differ from the profile: add greenhouse; add mill; remove celje; remove prebold "
        "(run `magnet-bot profile apply` if the profile is meant)"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        async with running_bot(emulator, sqlite_url) as bot:
            assert [h.code for h in await bot.services.hubs.list_hubs()] == ["celje", "prebold"]
    assert not [r for r in caplog.records if "hubs differ" in r.getMessage()]


def test_a_profile_is_read_once_until_its_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    data = shipped()
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    first = load_profile(path)
    assert load_profile(path) is first  # settings ask for it several times at every start
    data["project"] = data["project"] + " Savinja"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_profile(path).project == first.project + " Savinja"
    path.unlink()
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(path)
