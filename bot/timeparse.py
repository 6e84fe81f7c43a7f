"""Reading a date and time a coordinator typed, in the town's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

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
