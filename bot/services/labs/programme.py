"""Reading a season's programme of labs from YAML or CSV for `magnet-bot labs import`."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

FIELDS = (
    "title_sl",
    "title_en",
    "description_sl",
    "description_en",
    "hub",
    "topic",
    "start",
    "end",
    "capacity",
    "deadline",
    "reminders",
    "guests",
)


class ProgrammeFileError(ValueError):
    """The file as a whole cannot be read (as opposed to a bad row)."""


def read_programme(path: Path) -> list[dict[str, Any]]:
    """The rows of a YAML list (or a mapping with `labs:`) or of a CSV file with a header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeFileError(f"cannot read {path.name}: {exc}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_rows(text)
    if path.suffix.lower() == ".csv":
        return _csv_rows(text)
    raise ProgrammeFileError(f"{path.name}: use a .yaml, .yml or .csv file")


def _yaml_rows(text: str) -> list[dict[str, Any]]:
    import yaml  # only an import of a programme needs it, never the bot's start

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProgrammeFileError(f"not valid YAML: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("labs")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ProgrammeFileError("expected a list of labs (or `labs:` holding one)")
    return [_known(row, number) for number, row in enumerate(data, start=1)]


def _csv_rows(text: str) -> list[dict[str, Any]]:
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise ProgrammeFileError("the CSV file has no header row")
    return [_known(row, number) for number, row in enumerate(reader, start=1)]


def _known(row: dict[str, Any], number: int) -> dict[str, Any]:
    unknown = sorted(str(key) for key in row if key not in FIELDS)
    if unknown:
        raise ProgrammeFileError(
            f"row {number}: unknown column(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}"
        )
    return {key: ("" if value is None else str(value)) for key, value in row.items()}
