"""`magnet-bot profile check`: everything that stops a profile from running a bot."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import catalog_path, locales_dir
from bot.profile import ProfileError, load_profile
from bot.services.surveys.definition import shipped
from bot.services.surveys.population import PopulationError, load_population


def profile_problems(path: Path | None) -> tuple[list[str], list[str]]:
    """What stops the profile from running a bot, and what it shows in English instead."""
    try:
        town = load_profile(path)
    except ProfileError as exc:
        return exc.problems, []
    problems = []
    directories = tuple(d for d in (town.catalogs_dir, locales_dir()) if d is not None)
    for locale in town.languages:
        if catalog_path(locale, directories) is None:
            problems.append(
                f"languages: no catalog for {locale} ({locale}/LC_MESSAGES/messages.po)"
            )
    if town.surveys_dir is not None:
        try:
            shipped(town.surveys_dir)
        except ValueError as exc:
            problems += [f"surveys: {line}" for line in str(exc).splitlines() if line.strip()]
    if town.population_file is not None:
        try:
            load_population(town.population_file, town)
        except PopulationError as exc:
            problems.append(f"population: {exc}")
    notes = town.missing_labels()
    others = [code for code in town.languages if code not in ("sl", "en")]
    if others:
        # Surveys, labs, stories and announcements are written in Slovenian and English.
        notes.append(
            f"surveys, labs, stories, announcements: written in sl and en; "
            f"{', '.join(others)} read the English text"
        )
    return problems, notes
