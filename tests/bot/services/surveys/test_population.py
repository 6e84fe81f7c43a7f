"""The population table: checked at start with every problem named, the respondents beside
it, and post-stratified shares labelled as such."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from bot.i18n import I18n
from bot.services.surveys.definition import ProfileField
from bot.services.surveys.figures import DigestData
from bot.services.surveys.notices import digest_text
from bot.services.surveys.population import PopulationError, load_population
from bot.services.surveys.views import build
from tests.bot.services.surveys.test_views import fixture_survey, people

EXAMPLE = Path(__file__).resolve().parents[4] / "bot/content/population/celje_prebold.example.yaml"


def test_the_shipped_example_loads_and_says_it_is_approximate() -> None:
    table = load_population(EXAMPLE)
    assert table.approximate and "SURS" in table.source.get("sl")
    assert table.municipalities == ["celje", "prebold"]
    assert table.bands == ["u18", "18_24", "25_34", "35_49", "50_64", "65p"]
    assert sum(table.people.values()) == 49_400 + 5_300


def test_a_broken_table_names_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "people.yaml"
    bad.write_text('people:\n  celje: {"18_24": many, "99_99": 5}\n  atlantis: {"25_34": 3}\n')
    with pytest.raises(PopulationError) as caught:
        load_population(bad)
    message = str(caught.value)
    assert "'many' is not a number of people" in message
    assert "unknown age band '99_99'" in message and "unknown municipality 'atlantis'" in message
    unquoted = tmp_path / "unquoted.yaml"
    unquoted.write_text("people:\n  celje: {18_24: 100}\n")
    with pytest.raises(PopulationError, match="put age bands in quotes"):
        load_population(unquoted)
    with pytest.raises(ConfigError) as config:
        load_settings(population_file=str(bad))
    assert "MAGNET_POPULATION_FILE: " in str(config.value)


def test_a_csv_table_works_too(tmp_path: Path) -> None:
    table = tmp_path / "people.csv"
    table.write_text("municipality,age_band,people\ncelje,18_24,300\nprebold,18_24,100\n")
    loaded = load_population(table)
    assert loaded.share("celje") == 0.75 and not loaded.approximate


def test_the_sample_beside_the_population_and_a_weighted_share(tmp_path: Path) -> None:
    table = tmp_path / "people.csv"
    table.write_text("municipality,age_band,people\ncelje,25_34,900\nprebold,25_34,100\n")
    population = load_population(table)
    # Celje answers "stay" half the time, Prebold a quarter; Prebold is over-represented.
    responses = (
        people("celje", 10, "stay")
        + people("celje", 10, "go")
        + people("prebold", 15, "go")
        + people("prebold", 5, "stay")
    )
    views = build(fixture_survey(), "decisions", 1, responses, 5, population=population)
    plans = views.key[0]
    assert plans.headline is not None and plans.headline.share == 37.5  # unweighted
    assert plans.weighted is not None and plans.weighted.share == pytest.approx(47.5)
    rows = {r.group: r for r in views.composition if r.field == ProfileField.MUNICIPALITY}
    assert rows["celje"].share == 50.0 and rows["celje"].population == pytest.approx(90.0)
    text = digest_text(
        I18n(ZoneInfo("Europe/Ljubljana"), "en").get("en"), DigestData(views, 0, None)
    )
    assert "weighted 48 %" in text and "post-stratified to the population" in text
    assert "Celje: 20 (50 %; population 90 %)" in text
    # Without a table: said to be unweighted, no weighted figure.
    views = build(fixture_survey(), "decisions", 1, responses, 5)
    text = digest_text(
        I18n(ZoneInfo("Europe/Ljubljana"), "en").get("en"), DigestData(views, 0, None)
    )
    assert "Percentages are unweighted" in text and "weighted 48" not in text
    # A stratum where (nearly) everyone said the same: no weighted share, which together with
    # the unweighted one would give that group's answers away.
    alike = people("celje", 10, "stay") + people("celje", 10, "go") + people("prebold", 20, "go")
    views = build(fixture_survey(), "decisions", 1, alike, 5, population=population)
    assert views.key[0].weighted is None
