"""Reading a date and time a coordinator typed, and a weekly schedule from the settings, in the
town's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
_FORMS = (
    # 24. 11. 18:00, 24.11.2026 18:00, 24. 11. 2026 ob 18.00
    re.compile(
        r"^\s*(?P<day>\d{1,2})\.\s*(?P<month>\d{1,2})\.?\s*(?P<year>\d{4})?\.?\s*(?:ob|at)?\s*"
        + _TIME
        + r"\s*$",
        re.IGNORECASE,
    ),
    # 2026-11-24 18:00
    re.compile(r"^\s*(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[ T]+" + _TIME + r"\s*$"),
)


def parse_local_datetime(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment meant, in UTC; a date without a year is the next such date from `now`."""
    for form in _FORMS:
        match = form.match(text)
        if match is None:
            continue
        parts = match.groupdict()
        try:
            clock = time(int(parts["hour"]), int(parts["minute"]))
            local_now = now.astimezone(tz)
            year = int(parts["year"]) if parts.get("year") else local_now.year
            day = date(year, int(parts["month"]), int(parts["day"]))
            moment = datetime.combine(day, clock, tz)
            if not parts.get("year") and moment < local_now:
                moment = datetime.combine(day.replace(year=year + 1), clock, tz)
        except ValueError:
            return None
        return moment.astimezone(UTC)
    return None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Schedule = tuple[int, time] | CronTrigger


def parse_schedule(text: str, tz: ZoneInfo | None = None) -> Schedule | None:
    """'mon 08:00' -> (0, 08:00); a crontab line ('0 8 * * mon') -> a CronTrigger in the
    town's zone; '' -> None (never)."""
    text = text.strip().lower()
    if not text:
        return None
    if len(text.split()) == 5:
        try:
            return CronTrigger.from_crontab(text, timezone=tz or UTC)
        except ValueError as exc:
            raise ValueError(f"not a crontab line: {exc}") from None
    day, _, clock = text.partition(" ")
    if day not in WEEKDAYS:
        raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
    hour, _, minute = clock.strip().partition(":")
    try:
        return WEEKDAYS.index(day), time(int(hour), int(minute or 0))
    except ValueError:
        raise ValueError(f"{clock!r} is not a time of day") from None


def last_slot(schedule: Schedule | None, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The most recent scheduled moment at or before `now` (in UTC)."""
    if schedule is None:
        return None
    if isinstance(schedule, CronTrigger):
        return _last_cron(schedule, now)
    weekday, at = schedule
    local = now.astimezone(tz)
    days_back = (local.weekday() - weekday) % 7
    candidate = datetime.combine(local.date() - timedelta(days=days_back), at, tz)
    if candidate > local:
        candidate -= timedelta(days=7)
    return candidate.astimezone(UTC)


def _last_cron(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The cron's last firing at or before `now`, looking back up to eight days."""
    moment = trigger.get_next_fire_time(None, now - timedelta(days=8))
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return last.astimezone(UTC) if last is not None else None
