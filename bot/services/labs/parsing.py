"""Reading what a coordinator typed (or a programme file holds) for each field of a lab."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.numbers import parse_int
from bot.services.errors import DomainError
from bot.services.labs.types import LabStep
from bot.timeparse import parse_local_datetime

TITLE_MAX = 120
DESCRIPTION_MAX = 1500
CAPACITY_MAX = 5000
REMINDERS_MAX = 5
REMINDER_HOURS_MAX = 14 * 24
LAB_LENGTH_MAX = timedelta(days=7)
DEFAULT_REMINDERS = (24 * 60, 2 * 60)
NONE_WORDS = {"0", "-", "none", "no", "brez", "ne", "nič", "nic"}

_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
_DURATION = re.compile(
    r"^\s*(\d+(?:[.,]\d+)?)\s*(h|ur[aei]?|hours?|min|minut[ae]?|minutes?)\s*$", re.I
)
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*h?\s*$", re.I)


class InputProblem(StrEnum):
    """Why a value does not fit its field (worded by `wording.input_text`)."""

    NO_TEXT = "no_text"
    TOO_LONG = "too_long"
    NOT_A_MOMENT = "not_a_moment"
    PASSED = "passed"
    NOT_A_TIME = "not_a_time"
    END_BEFORE_START = "end_before_start"
    OVER_A_WEEK = "over_a_week"
    CAPACITY = "capacity"
    DEADLINE_AFTER_START = "deadline_after_start"
    REMINDERS = "reminders"
    TOO_MANY_REMINDERS = "too_many_reminders"
    GUESTS = "guests"
    UNKNOWN_THEME = "unknown_theme"
    UNKNOWN_HUB = "unknown_hub"
    REQUIRED = "required"


class InputError(DomainError):
    """A value refused, with what its wording needs (limits, the value, the choices)."""

    def __init__(self, problem: InputProblem, **params: Any):
        super().__init__(problem, ", ".join(f"{k}={v}" for k, v in params.items()))
        self.params = params


def text_value(raw: str, limit: int) -> str:
    value = raw.strip()
    if not value:
        raise InputError(InputProblem.NO_TEXT)
    if len(value) > limit:
        raise InputError(InputProblem.TOO_LONG, limit=limit, length=len(value))
    return value


def moment(raw: str, now: datetime, tz: ZoneInfo) -> datetime:
    when = parse_local_datetime(raw, now, tz)
    if when is None:
        raise InputError(InputProblem.NOT_A_MOMENT)
    return when


def start_value(raw: str, now: datetime, tz: ZoneInfo) -> datetime:
    when = moment(raw, now, tz)
    if when <= now:
        raise InputError(InputProblem.PASSED)
    return when


def end_value(raw: str, start: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """An end time ("20:00" on the start's day), a length ("2 h", "90 min") or a moment."""
    local_start = start.astimezone(tz)
    clock, duration = _CLOCK.match(raw), _DURATION.match(raw)
    if clock:
        try:
            at = time(int(clock.group(1)), int(clock.group(2)))
        except ValueError:
            raise InputError(InputProblem.NOT_A_TIME) from None
        end = datetime.combine(local_start.date(), at, tz).astimezone(UTC)
    elif duration:
        amount = float(duration.group(1).replace(",", "."))
        unit = duration.group(2).lower()
        minutes = amount if unit.startswith("min") else amount * 60
        end = start + timedelta(minutes=minutes)
    else:
        end = moment(raw, start, tz)
    if end <= start:
        raise InputError(InputProblem.END_BEFORE_START)
    if end - start > LAB_LENGTH_MAX:
        raise InputError(InputProblem.OVER_A_WEEK)
    return end


def capacity_value(raw: str) -> int | None:
    value = raw.strip().lower()
    if value in NONE_WORDS:
        return None
    capacity = parse_int(value, 1, CAPACITY_MAX)
    if capacity is None:
        raise InputError(InputProblem.CAPACITY, max=CAPACITY_MAX)
    return capacity


def deadline_value(raw: str, start: datetime, now: datetime, tz: ZoneInfo) -> datetime | None:
    if raw.strip().lower() in NONE_WORDS:
        return None
    when = moment(raw, now, tz)
    if when >= start:
        raise InputError(InputProblem.DEADLINE_AFTER_START)
    return when


def reminders_value(raw: str) -> list[int]:
    """Hours before the start ("24, 2"), as minutes, latest first; "0" for none."""
    value = raw.strip().lower()
    if value in NONE_WORDS:
        return []
    minutes = set()
    value = re.sub(r"\s*(h|ur[aei]?|hours?)\b", "", value).replace(", ", " ").rstrip(",")
    for part in re.split(r"[;\s]+", value):
        if not part:
            continue
        match = _NUMBER.match(part)
        hours = float(match.group(1).replace(",", ".")) if match else -1.0
        if not 0 < hours <= REMINDER_HOURS_MAX:
            raise InputError(InputProblem.REMINDERS, max=REMINDER_HOURS_MAX)
        minutes.add(round(hours * 60))
    if len(minutes) > REMINDERS_MAX:
        raise InputError(InputProblem.TOO_MANY_REMINDERS, max=REMINDERS_MAX)
    return sorted(minutes, reverse=True)


def guests_value(raw: str) -> int:
    value = raw.strip()
    if value not in ("0", "1"):
        raise InputError(InputProblem.GUESTS)
    return int(value)


def topic_value(raw: str, codes: Sequence[str]) -> str:
    if raw.strip() not in codes:
        raise InputError(InputProblem.UNKNOWN_THEME, value=raw, codes=", ".join(codes))
    return raw.strip()


def parse_row(
    row: Mapping[str, Any],
    hubs: set[str],
    now: datetime,
    tz: ZoneInfo,
    topics: Sequence[str],
) -> tuple[dict[str, Any], list[tuple[str, InputError]]]:
    """One lab of a programme file: its values, and a problem per bad field."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, InputError]] = []

    def get(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    def take(name: str, parse: Any, *args: Any, required: bool = True) -> None:
        raw = get(name)
        if not raw and not required:
            return
        if not raw:
            problems.append((name, InputError(InputProblem.REQUIRED)))
            return
        try:
            values[name] = parse(raw, *args)
        except InputError as exc:
            problems.append((name, exc))

    for name, limit in (("title_sl", TITLE_MAX), ("description_sl", DESCRIPTION_MAX)):
        take(name, text_value, limit)
    for name, limit in (("title_en", TITLE_MAX), ("description_en", DESCRIPTION_MAX)):
        take(name, text_value, limit)
    hub = get("hub")
    if hub not in hubs:
        error = InputError(InputProblem.UNKNOWN_HUB, value=hub, codes=", ".join(sorted(hubs)))
        problems.append(("hub", error))
    else:
        values["hub"] = hub
    take("topic", topic_value, topics)
    take("start", start_value, now, tz)
    if "start" in values:
        take("end", end_value, values["start"], now, tz)
        take("deadline", deadline_value, values["start"], now, tz, required=False)
    take("capacity", capacity_value, required=False)
    values.setdefault("capacity", None)
    if get("reminders"):
        take("reminders", reminders_value)
    else:
        values["reminders"] = list(DEFAULT_REMINDERS)
    if get("guests"):
        take("guests", guests_value)
    else:
        values["guests"] = 0
    return values, problems


FIELD_OF_STEP = {
    LabStep.TITLE_SL: "title_sl",
    LabStep.TITLE_EN: "title_en",
    LabStep.DESCRIPTION_SL: "description_sl",
    LabStep.DESCRIPTION_EN: "description_en",
    LabStep.START: "starts_at",
    LabStep.END: "ends_at",
    LabStep.CAPACITY: "capacity",
    LabStep.DEADLINE: "deadline",
    LabStep.REMINDERS: "reminder_minutes",
    LabStep.GUESTS: "guests",
    LabStep.TOPIC: "topic",
}
