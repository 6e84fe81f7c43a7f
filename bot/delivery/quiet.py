"""Quiet hours in the town's time zone: non-urgent messages wait for the morning."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    start: time | None
    end: time | None
    tz: ZoneInfo

    @classmethod
    def parse(cls, span: str, tz: ZoneInfo) -> QuietHours:
        """`21:00-08:00`, or an empty string for none."""
        if not span.strip():
            return cls(None, None, tz)
        match = _SPAN.match(span)
        if match is None:
            raise ValueError("quiet hours look like 21:00-08:00 (or empty for none)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError("quiet hours look like 21:00-08:00 (or empty for none)")
        return cls(time(h1, m1), time(h2, m2), tz)

    def contains(self, moment: datetime) -> bool:
        if self.start is None or self.end is None or self.start == self.end:
            return False
        local = moment.astimezone(self.tz).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """When the quiet period containing `moment` ends (`moment` itself if not quiet)."""
        if not self.contains(moment) or self.end is None:
            return moment
        local = moment.astimezone(self.tz)
        end = datetime.combine(local.date(), self.end, self.tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, self.tz)
        return end.astimezone(UTC)
