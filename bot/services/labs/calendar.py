"""Calendar entries (.ics) and poster QR codes for labs, built with icalendar and segno."""

from __future__ import annotations

import dataclasses
import functools
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain import LabStatus
from bot.services.labs.types import LabView

PRODID = "-//MAGNET//magnet-bot//EN"


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def lab_link(bot_username: str, lab_id: int) -> str:
    return deep_link(bot_username, f"lab_{lab_id}")


def lab_ics(
    lab: LabView, locale: str, tz: ZoneInfo, link: str, now: datetime | None = None
) -> bytes:
    """One VEVENT in the town's zone (with its VTIMEZONE), linking back to the bot.

    Built once per version of a lab and language: icalendar needs ~20 ms of CPU for one (most
    of it the VTIMEZONE), and everyone who taps "Add to calendar" gets the same file. Its
    DTSTAMP is then when the file was first made, which is what RFC 5545 asks."""
    if now is not None:
        return _build_ics(lab, locale, tz, link, now)
    # The seat counts change with every sign-up and are not in the file.
    return _cached_ics(dataclasses.replace(lab, seats_taken=0, waitlisted=0), locale, tz, link)


@functools.lru_cache(maxsize=256)
def _cached_ics(lab: LabView, locale: str, tz: ZoneInfo, link: str) -> bytes:
    return _build_ics(lab, locale, tz, link, None)


def _build_ics(lab: LabView, locale: str, tz: ZoneInfo, link: str, now: datetime | None) -> bytes:
    from icalendar import Calendar, Event, vUri  # imported when first needed, not at start

    assert lab.starts_at is not None and lab.ends_at is not None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"lab-{lab.id}@magnet-bot")
    event.add("sequence", lab.version)
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", lab.starts_at.astimezone(tz))
    event.add("dtend", lab.ends_at.astimezone(tz))
    event.add("summary", lab.title(locale))
    place = lab.hub_name(locale)
    if lab.hub_address:
        place = f"{place}, {lab.hub_address}"
    event.add("location", place)
    event.add("description", f"{lab.description(locale)}\n\n{link}")
    event.add("url", vUri(link))
    if lab.status == LabStatus.CANCELLED:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


@functools.lru_cache(maxsize=256)
def qr_png(data: str, scale: int = 10) -> bytes:
    """A PNG QR code for a poster, quiet zone included (made once per link)."""
    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
