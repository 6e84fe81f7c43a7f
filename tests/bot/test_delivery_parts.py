"""The delivery engine's parts: quiet hours, time parsing, outcomes, the pacer."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.outcome import Outcome, classify
from bot.delivery.pacer import Pacer
from bot.delivery.quiet import QuietHours
from bot.timeparse import parse_local_datetime

LJ = ZoneInfo("Europe/Ljubljana")


def at(hour: int, minute: int = 0, day: int = 22, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LJ).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (at(20, 59), False),
        (at(21, 0), True),
        (at(23, 30), True),
        (at(3), True),
        (at(7, 59), True),
        (at(8), False),
        (at(12), False),
    ],
)
def test_quiet_hours_across_midnight(moment: datetime, quiet: bool) -> None:
    assert QuietHours.parse("21:00-08:00", LJ).contains(moment) is quiet


def test_quiet_hours_end_in_the_towns_morning() -> None:
    quiet = QuietHours.parse("21:00-08:00", LJ)
    assert quiet.ends_after(at(22)) == at(8, day=23)
    assert quiet.ends_after(at(3)) == at(8)
    assert quiet.ends_after(at(12)) == at(12)
    summer = datetime(2026, 7, 1, 22, 0, tzinfo=LJ).astimezone(UTC)
    assert quiet.ends_after(summer) == datetime(2026, 7, 2, 6, 0, tzinfo=UTC)  # 08:00 CEST


def test_quiet_hours_by_day_and_none() -> None:
    assert QuietHours.parse("12:00-13:00", LJ).contains(at(12, 30))
    assert not QuietHours.parse("", LJ).contains(at(3))
    with pytest.raises(ValueError, match="21:00-08:00"):
        QuietHours.parse("9pm-8am", LJ)
    with pytest.raises(ValueError):
        QuietHours.parse("25:00-08:00", LJ)


NOW = at(10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24. 11. 18:00", at(18, day=24)),
        ("24.11. 18.00", at(18, day=24)),
        ("24.11.2026 ob 18:00", at(18, day=24)),
        ("2026-11-24 18:00", at(18, day=24)),
        ("1. 1. 09:30", datetime(2027, 1, 1, 9, 30, tzinfo=LJ).astimezone(UTC)),  # next year
        ("22. 11. 08:00", datetime(2027, 11, 22, 8, 0, tzinfo=LJ).astimezone(UTC)),
        ("30. 2. 10:00", None),
        ("24. 11. 25:00", None),
        ("jutri", None),
        ("", None),
    ],
)
def test_parse_local_datetime(text: str, expected: datetime | None) -> None:
    assert parse_local_datetime(text, NOW, LJ) == expected


def test_an_explicit_past_year_stays_in_the_past() -> None:
    parsed = parse_local_datetime("1. 1. 2020 10:00", NOW, LJ)
    assert parsed is not None and parsed < NOW


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (RetryAfter(3), Outcome.FLOOD),
        (Forbidden("Forbidden: bot was blocked by the user"), Outcome.BLOCKED),
        (BadRequest("Chat not found"), Outcome.FAILED),
        (TimedOut(), Outcome.UNKNOWN),
        (TimedOut("Pool timeout: ... Request was *not* sent to Telegram."), Outcome.ERROR),
        (NetworkError("httpx.RemoteProtocolError: Server disconnected"), Outcome.UNKNOWN),
        (NetworkError("aiohttp.ServerDisconnectedError: Server disconnected"), Outcome.UNKNOWN),
        (NetworkError("Internal Server Error (500)"), Outcome.ERROR),
        (NetworkError("Bad Gateway"), Outcome.ERROR),
        (RuntimeError("?"), Outcome.UNKNOWN),
    ],
)
def test_classify(exc: BaseException, outcome: Outcome) -> None:
    result = classify(exc)
    assert result.outcome == outcome
    if outcome == Outcome.FLOOD:
        assert result.retry_after == 3


class FakeTime:
    """A clock that moves only when someone sleeps on it: pacing checked exactly, however
    loaded the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_pacer_spaces_sends_and_pauses_on_429() -> None:
    fake = FakeTime()
    pacer = Pacer(50, clock=fake.clock, sleep=fake.sleep)  # one every 20 ms
    start = fake.now
    for _ in range(11):
        await pacer.wait()
    assert fake.now - start == pytest.approx(0.2)
    pacer.pause(0.3)
    assert pacer.paused_for == pytest.approx(0.3)
    start = fake.now
    await pacer.wait()
    assert fake.now - start == pytest.approx(0.3)
    with pytest.raises(ValueError):
        Pacer(0)


async def test_pacer_is_fair_to_concurrent_waiters() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        await asyncio.sleep(0)

    pacer = Pacer(100, clock=lambda: 1000.0, sleep=sleep)
    await asyncio.gather(*(pacer.wait() for _ in range(21)))
    # The first goes at once; each of the other twenty gets its own slot, 10 ms apart.
    assert sorted(waits) == [round(0.01 * k, 6) for k in range(1, 21)]


async def test_a_joining_replica_holds_its_sends_until_the_others_made_room() -> None:

    from bot.ratelimit import RetryingRateLimiter

    limiter = RetryingRateLimiter()
    limiter.hold(0.3)

    async def send(**_: object) -> bool:
        return True

    began = time.monotonic()
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert time.monotonic() - began >= 0.3
