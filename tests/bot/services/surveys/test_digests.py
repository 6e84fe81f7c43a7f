"""Digests: k-anonymity with complementary suppression, the chart, and when they are due."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.i18n import I18n
from bot.services.surveys.chart import chart_png
from bot.services.surveys.definition import shipped
from bot.services.surveys.digests import DigestConfig, DigestService
from bot.services.surveys.figures import suppress
from bot.services.surveys.notices import digest_text
from bot.services.surveys.service import Surveys
from bot.timeparse import last_slot, parse_schedule
from storage.models import OutboxMessage, SurveyAnswer, SurveyResponse, SurveyRound, SurveyVersion

TZ = ZoneInfo("Europe/Ljubljana")
_ids = itertools.count(1)


def test_primary_and_complementary_suppression() -> None:
    cells, total = suppress({"stay": 6, "maybe": 4, "leave": 1, "unsure": 1}, 5)
    assert cells == {"stay": 6, "maybe": None, "leave": None, "unsure": None} and total
    # One small cell alone could be worked out from the total: the next smallest goes too.
    cells, total = suppress({"stay": 8, "maybe": 6, "leave": 2, "unsure": 0}, 5)
    assert cells == {"stay": 8, "maybe": None, "leave": None, "unsure": 0} and total
    # Two hidden cells that together hold fewer than k people: a third is hidden.
    cells, total = suppress({"a": 9, "b": 7, "c": 2, "d": 1}, 5)
    assert cells["c"] is None and cells["d"] is None and cells["b"] is None and cells["a"] == 9
    # Two cells, one small: both are hidden, only the total is shown.
    cells, total = suppress({"a": 6, "b": 2}, 5)
    assert total and set(cells.values()) == {None}
    # A total below k: nothing at all.
    cells, total = suppress({"a": 3, "b": 1}, 5)
    assert not total and set(cells.values()) == {None}
    # No small cells: everything shown.
    assert suppress({"a": 5, "b": 7}, 5) == ({"a": 5, "b": 7}, True)


async def seed(sessions, people: list[dict[str, object]], municipality=None) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        version_id = await session.scalar(select(SurveyVersion.id))
        round_id = await session.scalar(select(SurveyRound.id))
        now = datetime.now(UTC)
        for i, answers in enumerate(people):
            rid = next(_ids)
            await session.execute(
                insert(SurveyResponse).values(
                    id=rid,
                    round_id=round_id,
                    version_id=version_id,
                    respondent=f"{rid:032x}",
                    dedupe_hash=f"{rid:064x}",
                    anonymous=True,
                    status="completed",
                    editing=False,
                    municipality=(municipality or ["celje"])[i % len(municipality or ["celje"])],
                    age_band="18_24" if i % 3 else "25_34",
                    resident_status="employed",
                    started_at=now,
                    updated_at=now,
                    completed_at=now,
                )
            )
            for code, value in answers.items():
                await session.execute(
                    insert(SurveyAnswer).values(
                        response_id=rid,
                        version_id=version_id,
                        question_code=code,
                        value=value,
                        answered_at=now,
                    )
                )


async def ready(sessions) -> Surveys:  # type: ignore[no-untyped-def]
    surveys = Surveys(sessions, shipped(), I18n(TZ, "sl"), "k")
    await surveys.sync()
    await surveys.rounds.open(1, "stay_or_leave")
    return surveys


def digests(sessions, surveys: Surveys, every: int, schedule: str) -> DigestService:  # type: ignore[no-untyped-def]
    config = DigestConfig(-1001, "sl", 5, TZ, every=every, schedule=schedule)
    return DigestService(sessions, I18n(TZ, "sl"), list(surveys.shipped), config)


async def test_a_digest_hides_small_groups_and_what_would_reveal_them(sessions) -> None:  # type: ignore[no-untyped-def]
    surveys = await ready(sessions)
    people = (
        [{"lives": "celje", "intention": "definitely_stay", "reasons_stay": ["family", "housing"]}]
        * 8
        + [{"lives": "celje", "intention": "probably_leave", "reasons_leave": ["housing", "pay"]}]
        * 6
        + [
            {
                "lives": "celje",
                "intention": "definitely_leave",
                "reasons_leave": ["housing"],
                "idea": "Piši na ana@example.com za kolesa",
                "share_idea": "yes",
            }
        ]
        * 2
        + [{"lives": "abroad", "idea": "Ne deli tega", "share_idea": "no"}]
    )
    await seed(sessions, people, municipality=["celje"] * 15 + ["prebold", "abroad"])
    data = await digests(sessions, surveys, every=0, schedule="").gather("stay_or_leave")
    assert data is not None and data.completed == 17
    intention = next(d for d in data.key if d.question == "intention")
    assert intention.cells["definitely_stay"] == 8
    assert intention.cells["definitely_leave"] is None and intention.cells["probably_leave"] is None
    assert intention.total == 16
    assert data.leave is not None and data.leave.cells["housing"] == 8
    assert data.leave.cells["pay"] == 6
    assert data.municipality is not None
    assert data.municipality.cells["celje"] is None  # 15 shown would reveal the other two
    assert data.ideas == ["Piši na […] za kolesa", "Piši na […] za kolesa"]
    text = digest_text(I18n(TZ, "sl").get("sl"), data)
    assert "Ostali bom: 50 %" not in text  # labels come from the definition
    assert "Zagotovo bom ostal/-a: 50 %" in text
    assert "Zagotovo se bom odselil/-a: •" in text
    assert "Ne deli tega" not in text and "ana@example.com" not in text
    png = chart_png(I18n(TZ, "sl").get("sl"), data)
    assert png is not None and png.startswith(b"\x89PNG")


async def test_digests_are_due_on_schedule_and_every_n_responses(sessions) -> None:  # type: ignore[no-untyped-def]
    surveys = await ready(sessions)
    sender = digests(sessions, surveys, every=3, schedule="mon 08:00")
    async with sessions() as session:
        opened = (await session.execute(select(SurveyRound.opened_at))).scalar_one()
    # The first Monday 08:00 in Ljubljana after the round opened.
    local = opened.astimezone(TZ)
    day = local.date() + timedelta(days=(7 - local.weekday()) % 7)
    monday = datetime.combine(day, time(8, 0), TZ).astimezone(UTC)
    if monday <= opened:
        monday += timedelta(days=7)
    soon = opened + timedelta(minutes=1)
    # A round that just opened: no digest on the next tick, before anyone could answer.
    assert await sender.tick(soon) == {"digests": 0}
    await seed(sessions, [{"lives": "celje", "intention": "definitely_stay"}] * 2)
    assert await sender.tick(soon) == {"digests": 0}  # 2 new, N is 3
    await seed(sessions, [{"lives": "celje", "intention": "definitely_stay"}])
    assert await sender.tick(soon) == {"digests": 1}  # the third new response
    await seed(sessions, [{"lives": "prebold", "intention": "definitely_leave"}] * 2)
    assert await sender.tick(soon) == {"digests": 0}
    monday += timedelta(minutes=30)
    assert await sender.tick(monday) == {"digests": 1}  # the first Monday 08:00 has come
    assert await sender.tick(monday + timedelta(hours=1)) == {"digests": 0}
    async with sessions() as session:
        rows = list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )
    texts = [r for r in rows if r.attachment is None]
    charts = [r for r in rows if r.attachment is not None]
    assert len(texts) == 2 and {r.chat_id for r in rows} == {-1001}
    assert "+2 od zadnjega povzetka" in texts[1].text
    assert all(c.attachment.startswith(b"\x89PNG") for c in charts)


def test_schedules_as_weekday_and_time_or_crontab() -> None:
    weekly = parse_schedule("mon 08:00", TZ)
    cron = parse_schedule("0 8 * * mon", TZ)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    monday_8 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Ljubljana (CET)
    assert last_slot(weekly, now, TZ) == monday_8 == last_slot(cron, now, TZ)
    summer = datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    assert last_slot(cron, summer, TZ) == datetime(2027, 6, 7, 6, 0, tzinfo=UTC)  # CEST
    assert last_slot(parse_schedule("", TZ), now, TZ) is None
    for bad in ("someday 08:00", "mon eight", "99 * * * *"):
        with pytest.raises(ValueError):
            parse_schedule(bad, TZ)
