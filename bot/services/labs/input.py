"""Reading what a coordinator typed (or a programme file holds) for each field of a lab."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import N_, TOPICS
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


@dataclass
class InputError(ValueError):
    """A translatable message (a msgid marked with N_) and its parameters."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, gettext: Any) -> str:
        return (
            str(gettext(self.message) % self.params) if self.params else str(gettext(self.message))
        )


def text_value(raw: str, limit: int) -> str:
    value = raw.strip()
    if not value:
        raise InputError(N_("Please write some text."))
    if len(value) > limit:
        raise InputError(
            N_("This can be at most %(limit)d characters long; yours has %(length)d."),
            {"limit": limit, "length": len(value)},
        )
    return value


def moment(raw: str, now: datetime, tz: ZoneInfo) -> datetime:
    when = parse_local_datetime(raw, now, tz)
    if when is None:
        raise InputError(
            N_("I couldn't read that as a date and time. Please write it like %(example)s."),
            {"example": "24. 11. 18:00"},
        )
    return when


def start_value(raw: str, now: datetime, tz: ZoneInfo) -> datetime:
    when = moment(raw, now, tz)
    if when <= now:
        raise InputError(N_("That moment has already passed. Please choose a time in the future."))
    return when


def end_value(raw: str, start: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """An end time ("20:00" on the start's day), a length ("2 h", "90 min") or a moment."""
    local_start = start.astimezone(tz)
    clock, duration = _CLOCK.match(raw), _DURATION.match(raw)
    if clock:
        try:
            at = time(int(clock.group(1)), int(clock.group(2)))
        except ValueError:
            raise InputError(N_("That is not a time of day.")) from None
        end = datetime.combine(local_start.date(), at, tz).astimezone(UTC)
    elif duration:
        amount = float(duration.group(1).replace(",", "."))
        unit = duration.group(2).lower()
        minutes = amount if unit.startswith("min") else amount * 60
        end = start + timedelta(minutes=minutes)
    else:
        end = moment(raw, start, tz)
    if end <= start:
        raise InputError(N_("The end must come after the start."))
    if end - start > LAB_LENGTH_MAX:
        raise InputError(N_("A lab can last at most a week."))
    return end


def capacity_value(raw: str) -> int | None:
    value = raw.strip().lower()
    if value in NONE_WORDS:
        return None
    if not value.isdigit() or not 1 <= int(value) <= CAPACITY_MAX:
        raise InputError(
            N_("Please write a whole number of seats from 1 to %(max)d, or 0 for no limit."),
            {"max": CAPACITY_MAX},
        )
    return int(value)


def deadline_value(raw: str, start: datetime, now: datetime, tz: ZoneInfo) -> datetime | None:
    if raw.strip().lower() in NONE_WORDS:
        return None
    when = moment(raw, now, tz)
    if when >= start:
        raise InputError(N_("Registration must close before the lab starts."))
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
            raise InputError(
                N_(
                    "Please write hours before the start, separated by commas, like "
                    "%(example)s (at most %(max)d hours), or 0 for no reminders."
                ),
                {"example": "24, 2", "max": REMINDER_HOURS_MAX},
            )
        minutes.add(round(hours * 60))
    if len(minutes) > REMINDERS_MAX:
        raise InputError(N_("At most %(max)d reminders, please."), {"max": REMINDERS_MAX})
    return sorted(minutes, reverse=True)


def guests_value(raw: str) -> int:
    value = raw.strip()
    if value not in ("0", "1"):
        raise InputError(N_("Guests per resident: 0 or 1."))
    return int(value)


def topic_value(raw: str) -> str:
    codes = [t.code for t in TOPICS]
    if raw.strip() not in codes:
        raise InputError(
            N_("Unknown theme %(value)r; use one of %(codes)s."),
            {"value": raw, "codes": ", ".join(codes)},
        )
    return raw.strip()


def parse_row(
    row: Mapping[str, Any], hubs: set[str], now: datetime, tz: ZoneInfo
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
            problems.append((name, InputError(N_("This field is required."))))
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
        problems.append(
            (
                "hub",
                InputError(
                    N_("Unknown hub %(value)r; use one of %(codes)s."),
                    {"value": hub, "codes": ", ".join(sorted(hubs))},
                ),
            )
        )
    else:
        values["hub"] = hub
    take("topic", topic_value)
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
