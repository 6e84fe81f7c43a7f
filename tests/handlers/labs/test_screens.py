"""What residents read about labs: seats in correct Slovenian plurals, and the .ics file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.i18n import I18n
from bot.services.labs.calendar import lab_ics, lab_link, qr_png
from bot.services.labs.types import LabView
from bot.services.labs.wording import seats_line
from tests.support.labs import LAB

TZ = ZoneInfo("Europe/Ljubljana")
# 3 December 2026, 17:00 in Ljubljana (CET, UTC+1); and a summer date (CEST, UTC+2).
WINTER = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
SUMMER = datetime(2027, 6, 10, 15, 0, tzinfo=UTC)


def lab(**changes: object) -> LabView:
    """The sample lab of tests.support.labs, empty and at WINTER unless told otherwise."""
    base = replace(LAB, starts_at=WINTER, ends_at=WINTER + timedelta(hours=2), seats_taken=0)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n(TZ, "sl")


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (1, "še 1 prosto mesto"),
        (2, "še 2 prosti mesti"),
        (3, "še 3 prosta mesta"),
        (4, "še 4 prosta mesta"),
        (5, "še 5 prostih mest"),
        (101, "še 101 prosto mesto"),
        (111, "še 111 prostih mest"),
    ],
)
def test_seats_left_in_slovenian(i18n: I18n, left: int, expected: str) -> None:
    view = lab(capacity=200, seats_taken=200 - left)
    assert seats_line(i18n.get("sl"), view) == expected


def test_seats_left_in_english_and_full_and_open(i18n: I18n) -> None:
    en, sl = i18n.get("en"), i18n.get("sl")
    assert seats_line(en, lab(seats_taken=19)) == "1 seat left"
    assert seats_line(en, lab(seats_taken=18)) == "2 seats left"
    assert seats_line(sl, lab(seats_taken=20, waitlisted=3)) == (
        "Zasedeno; čakalni seznam je odprt (čakajo 3 osebe)"
    )
    assert seats_line(en, lab(seats_taken=20, waitlisted=1)) == (
        "Full; waitlist open (1 person waiting)"
    )
    assert seats_line(sl, lab(capacity=None)) == "Odprt dogodek: število prijav ni omejeno"


@pytest.mark.parametrize("start", [WINTER, SUMMER])
def test_the_ics_file_parses_with_local_times_and_links_back(start: datetime) -> None:
    link = lab_link("magnet_celje_bot", 7)
    data = lab_ics(lab(starts_at=start, ends_at=start + timedelta(hours=2)), "sl", TZ, link)
    calendar = Calendar.from_ical(data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Ljubljana"]
    (event,) = calendar.walk("VEVENT")
    begins = event.decoded("dtstart")
    assert begins == start and str(begins.tzinfo) == "Europe/Ljubljana"
    assert begins.hour == 17  # 17:00 in Ljubljana, summer or winter
    assert event.decoded("dtend") - begins == timedelta(hours=2)
    assert b"DTSTART;TZID=Europe/Ljubljana:" in data
    assert str(event["summary"]) == "Dostopna stanovanja"
    assert str(event["location"]) == "MAGNET Hub Celje, 3000 Celje"
    assert str(event["url"]) == "https://t.me/magnet_celje_bot?start=lab_7"
    assert link in str(event["description"])
    assert event["uid"] == "lab-7@magnet-bot" and event["sequence"] == 3


def test_a_cancelled_lab_in_english_and_the_poster_qr() -> None:
    data = lab_ics(lab(status="cancelled"), "en", TZ, "https://t.me/x?start=lab_7")
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(event["summary"]) == "Affordable housing" and event["status"] == "CANCELLED"
    png = qr_png("https://t.me/x?start=lab_7")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width >= 250  # printable: at least 25 modules at scale 10
