"""The population the respondents come from, by municipality and age band (a small table the
town gives, `MAGNET_POPULATION_FILE`), to set the sample beside it and to post-stratify.

The file is YAML (or CSV with the columns municipality,age_band,people):

    source: {sl: "SURS, prebivalstvo po starosti in občinah, 1. 1. 2025", en: "..."}
    approximate: false
    people:
      celje: {u18: 8700, "18_24": 3300, "25_34": 5600, ...}  # quoted: YAML reads 18_24 as 1824
      prebold: {...}
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain import AGE_BANDS, Bilingual

if TYPE_CHECKING:
    from bot.profile import Profile

KNOWN_BANDS = {c.code for c in AGE_BANDS} - {"na"}


class PopulationError(ValueError):
    """The population table cannot be used; the message says every problem."""


@dataclass(frozen=True)
class Population:
    people: dict[tuple[str, str], int]  # (municipality, age band) -> people
    source: Bilingual
    approximate: bool
    order: tuple[str, ...] = ()  # the town's municipalities, in the profile's order

    @property
    def municipalities(self) -> list[str]:
        return sorted({m for m, _ in self.people}, key=_order_of(self.order))

    @property
    def bands(self) -> list[str]:
        return sorted({a for _, a in self.people}, key=_order(AGE_BANDS))

    def share(self, municipality: str | None = None, band: str | None = None) -> float:
        """The share of the table's people in a municipality and/or age band."""
        total = sum(self.people.values())
        part = sum(
            n
            for (m, a), n in self.people.items()
            if (municipality is None or m == municipality) and (band is None or a == band)
        )
        return part / total if total else 0.0


def _order(choices: Any) -> Any:
    return _order_of([c.code for c in choices])


def _order_of(codes: Any) -> Any:
    codes = list(codes)
    return lambda code: codes.index(code) if code in codes else len(codes)


def load_population(path: Path, town: Profile | None = None) -> Population:
    """The table at `path`, its municipalities those of the town (the shipped one by default)."""
    from bot.profile import load_profile

    order = tuple(c.code for c in (town or load_profile()).municipalities)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PopulationError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".csv":
        return _from_rows(list(csv.DictReader(io.StringIO(text))), {}, order)
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PopulationError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("people"), dict):
        raise PopulationError("expected a mapping with 'people: {municipality: {age band: n}}'")
    rows = []
    for municipality, bands in data["people"].items():
        if not isinstance(bands, dict):
            raise PopulationError(f"{municipality}: expected age bands with numbers of people")
        for band, people in bands.items():
            if isinstance(band, int):
                raise PopulationError(
                    f"{municipality}: age band {band} reads as a number; "
                    'put age bands in quotes, e.g. "18_24"'
                )
            rows.append({"municipality": municipality, "age_band": band, "people": people})
    return _from_rows(rows, data, order)


def _from_rows(
    rows: list[dict[str, Any]], meta: dict[str, Any], order: tuple[str, ...]
) -> Population:
    problems = []
    people: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=1):
        municipality, band = str(row.get("municipality", "")), str(row.get("age_band", ""))
        where = f"{municipality or '?'} {band or '?'}"
        if municipality not in order:
            known = ", ".join(sorted(order))
            problems.append(f"row {number}: unknown municipality {municipality!r} (use {known})")
        if band not in KNOWN_BANDS:
            known = ", ".join(c.code for c in AGE_BANDS if c.code != "na")
            problems.append(f"row {number}: unknown age band {band!r} (use {known})")
        value = row.get("people")
        try:
            count = int(str(value).replace("_", "").replace(" ", ""))
        except ValueError:
            count = -1
        if count < 0:
            problems.append(f"{where}: {value!r} is not a number of people")
        if (municipality, band) in people:
            problems.append(f"{where}: given twice")
        people[(municipality, band)] = count
    if not rows:
        problems.append("the table is empty")
    elif sum(max(0, n) for n in people.values()) == 0:
        problems.append("the table counts no one")
    source = meta.get("source") or {}
    if not isinstance(source, dict):
        source = {"sl": str(source), "en": str(source)}
    if problems:
        raise PopulationError("; ".join(problems))
    return Population(
        people,
        Bilingual(source.get("sl"), source.get("en")),
        bool(meta.get("approximate")),
        order,
    )
