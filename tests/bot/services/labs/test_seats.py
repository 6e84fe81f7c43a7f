"""Lab sign-ups on a real database (both backends): capacity, waitlist, offers, reminders,
feedback, import; and the concurrency trials: never more confirmed than seats."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.domain import CONSENT_VERSION
from bot.i18n import I18n
from bot.services.labs.compose import LabAdmin
from bot.services.labs.jobs import LabJobs
from bot.services.labs.records import LabRecords
from bot.services.labs.seats import LabConfig
from bot.services.labs.signup import LabService
from bot.services.labs.types import LabError, LabProblem, LabStep
from storage.models import AuditEntry, Lab, LabRegistration, OutboxMessage, Resident
from tests.support.labs import insert_lab

TZ = ZoneInfo("Europe/Ljubljana")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make(sessions, **config):  # type: ignore[no-untyped-def]
    i18n, lab_config = I18n(TZ, "sl"), LabConfig(**config)
    labs = LabService(sessions, i18n, lab_config)
    return labs, LabAdmin(sessions, i18n, lab_config, TZ), LabJobs(sessions, i18n, lab_config)


async def add_residents(sessions, count: int, start: int = 1000) -> list[int]:  # type: ignore[no-untyped-def]
    ids = list(range(start, start + count))
    async with sessions.begin() as session:
        for i, tid in enumerate(ids):
            session.add(
                Resident(
                    telegram_id=tid,
                    consent_version=CONSENT_VERSION,
                    consented_at=NOW,
                    onboarding_step="done",
                    municipality="celje" if i % 2 else "prebold",
                    age_band="18_24",
                    language_code="sl" if i % 3 else "en",
                )
            )
    return ids


async def add_lab(sessions, capacity: int | None = 2, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("starts", NOW + timedelta(days=2))
    return await insert_lab(sessions, capacity=capacity, **fields)


async def outbox(sessions, kind: str | None = None) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list((await session.execute(query)).scalars())


async def awaiting_of(sessions, telegram_id: int) -> str | None:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        query = select(Resident.awaiting).where(Resident.telegram_id == telegram_id)
        return (await session.execute(query)).scalar_one()


async def assert_consistent(sessions, lab_id: int, capacity: int) -> None:  # type: ignore[no-untyped-def]
    counter, held = await LabRecords(sessions).invariant(lab_id)
    assert counter == held
    assert 0 <= counter <= capacity


async def test_sign_up_fills_then_waitlists_in_order(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions)
    ana, ben, cene, dora = await add_residents(sessions, 4)
    lab_id = await add_lab(sessions, capacity=2)
    assert (await labs.sign_up(lab_id, ana, now=NOW)).registration.status == "confirmed"
    assert (await labs.sign_up(lab_id, ben, now=NOW)).registration.status == "confirmed"
    third = await labs.sign_up(lab_id, cene, now=NOW)
    fourth = await labs.sign_up(lab_id, dora, now=NOW)
    assert (third.registration.status, third.registration.position) == ("waitlisted", 1)
    assert (fourth.registration.status, fourth.registration.position) == ("waitlisted", 2)
    with pytest.raises(LabError) as twice:
        await labs.sign_up(lab_id, ana, now=NOW)
    assert twice.value.problem == LabProblem.ALREADY
    await assert_consistent(sessions, lab_id, 2)
    # Each check-in code is unique and readable.
    codes = {(await labs.registration(lab_id, t)).checkin_code for t in (ana, ben, cene, dora)}
    assert len(codes) == 4 and all(len(c) == 6 for c in codes)


async def test_cancellation_offers_the_seat_to_the_first_waiting_then_accept(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions)
    ana, ben, cene, dora = await add_residents(sessions, 4)
    lab_id = await add_lab(sessions, capacity=2)
    for tid in (ana, ben, cene, dora):
        await labs.sign_up(lab_id, tid, now=NOW)
    left = await labs.cancel(lab_id, ben, now=NOW)
    assert left.promoted == 1
    offered = await labs.registration(lab_id, cene)
    assert offered.status == "offered"
    assert offered.offer_expires_at == NOW + timedelta(hours=12)
    assert (await labs.registration(lab_id, dora)).position == 1
    offers = await outbox(sessions, "lab_offer")
    assert [o.chat_id for o in offers] == [cene]
    assert offers[0].reply_markup is not None  # Take the seat / Decline
    accepted = await labs.answer_offer(offered.id, cene, True, now=NOW + timedelta(hours=1))
    assert accepted.registration.status == "confirmed"
    with pytest.raises(LabError) as again:
        await labs.answer_offer(offered.id, cene, True, now=NOW + timedelta(hours=1))
    assert again.value.problem == LabProblem.ALREADY
    await assert_consistent(sessions, lab_id, 2)
    # Someone else's offer button is refused.
    with pytest.raises(LabError) as forged:
        await labs.answer_offer(offered.id, dora, True, now=NOW)
    assert forged.value.problem == LabProblem.NOT_YOURS


async def test_declined_and_expired_offers_pass_on_without_losing_a_seat(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, jobs = make(sessions)
    ana, ben, cene, dora = await add_residents(sessions, 4)
    lab_id = await add_lab(sessions, capacity=1)
    for tid in (ana, ben, cene, dora):
        await labs.sign_up(lab_id, tid, now=NOW)
    await labs.cancel(lab_id, ana, now=NOW)
    ben_reg = await labs.registration(lab_id, ben)
    assert ben_reg.status == "offered"
    await labs.answer_offer(ben_reg.id, ben, False, now=NOW)  # declines: to Cene
    cene_reg = await labs.registration(lab_id, cene)
    assert cene_reg.status == "offered"
    # Nothing lapses early; after 12 h the offer passes to Dora.
    assert (await jobs.tick(NOW + timedelta(hours=11)))["expired"] == 0
    assert (await jobs.tick(NOW + timedelta(hours=12, seconds=1)))["expired"] == 1
    assert (await labs.registration(lab_id, cene)).status == "expired"
    assert (await labs.registration(lab_id, dora)).status == "offered"
    expired = await outbox(sessions, "lab_offer_expired")
    assert [o.chat_id for o in expired] == [cene]
    # A late press on the lapsed offer is refused politely.
    with pytest.raises(LabError) as late:
        await labs.answer_offer(cene_reg.id, cene, True, now=NOW + timedelta(hours=13))
    assert late.value.problem == LabProblem.NO_OFFER
    await assert_consistent(sessions, lab_id, 1)
    offers = await outbox(sessions, "lab_offer")
    assert sorted(o.chat_id for o in offers) == sorted([ben, cene, dora])  # each once


async def test_offer_never_outlives_the_start_and_guests_need_room(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions)
    ana, ben, cene = await add_residents(sessions, 3)
    starts = NOW + timedelta(hours=3)
    lab_id = await add_lab(sessions, capacity=2, starts=starts, guests=1)
    await labs.sign_up(lab_id, ana, now=NOW)
    await labs.sign_up(lab_id, ben, guests=1, now=NOW)  # needs 2, 1 free: waits
    await labs.sign_up(lab_id, cene, now=NOW)  # needs 1: takes the free seat
    assert (await labs.registration(lab_id, ben)).status == "waitlisted"
    assert (await labs.registration(lab_id, cene)).status == "confirmed"
    await labs.cancel(lab_id, cene, now=NOW)  # 1 free, Ben needs 2: no offer
    assert (await labs.registration(lab_id, ben)).status == "waitlisted"
    await labs.cancel(lab_id, ana, now=NOW)  # 2 free: Ben's offer ends at the start
    offer = await labs.registration(lab_id, ben)
    assert (offer.status, offer.offer_expires_at) == ("offered", starts)
    with pytest.raises(LabError) as too_many:
        await labs.sign_up(lab_id, ana, guests=2, now=NOW)
    assert too_many.value.problem == LabProblem.GUESTS
    await assert_consistent(sessions, lab_id, 2)


async def test_refusals_for_closed_past_cancelled_and_stale(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, admin, _ = make(sessions)
    (ana,) = await add_residents(sessions, 1)
    closed = await add_lab(sessions, deadline=NOW - timedelta(minutes=1))
    past = await add_lab(sessions, starts=NOW - timedelta(hours=1))
    cancelled = await add_lab(sessions)
    await admin.cancel(1, cancelled, now=NOW)
    edited = await add_lab(sessions)
    await admin.set_field(1, edited, LabStep.CAPACITY, "5", now=NOW)
    cases = [
        (closed, {}, LabProblem.CLOSED),
        (past, {}, LabProblem.STARTED),
        (cancelled, {}, LabProblem.CANCELLED),
        (edited, {"version": 1}, LabProblem.STALE),
        (9999, {}, LabProblem.NOT_FOUND),
    ]
    for lab_id, extra, problem in cases:
        with pytest.raises(LabError) as refused:
            await labs.sign_up(lab_id, ana, now=NOW, **extra)
        assert refused.value.problem == problem, lab_id
    assert (await labs.sign_up(edited, ana, version=2, now=NOW)).registration.status == "confirmed"
    with pytest.raises(LabError) as not_in:
        await labs.cancel(closed, ana, now=NOW)
    assert not_in.value.problem == LabProblem.NOT_SIGNED_UP


async def test_two_hundred_at_once_for_twenty_seats(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions)
    residents = await add_residents(sessions, 200)
    lab_id = await add_lab(sessions, capacity=20)
    random.Random(4).shuffle(residents)
    outcomes = await asyncio.gather(*(labs.sign_up(lab_id, t, now=NOW) for t in residents))
    statuses = [o.registration.status for o in outcomes]
    assert statuses.count("confirmed") == 20
    assert statuses.count("waitlisted") == 180
    positions = sorted(o.registration.position for o in outcomes if o.registration.position)
    assert positions == list(range(1, 181))
    await assert_consistent(sessions, lab_id, 20)
    # One cancellation promotes exactly one.
    confirmed = [t for t, s in zip(residents, statuses, strict=True) if s == "confirmed"]
    outcome = await labs.cancel(lab_id, confirmed[0], now=NOW)
    assert outcome.promoted == 1
    assert len(await outbox(sessions, "lab_offer")) == 1
    await assert_consistent(sessions, lab_id, 20)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_interleavings_keep_the_invariants(sessions, seed: int) -> None:  # type: ignore[no-untyped-def]
    """Many trials of concurrent sign-ups, cancellations, offer answers and expiries."""
    rng = random.Random(seed)
    labs, _, jobs = make(sessions, offer_ttl=timedelta(minutes=30))
    residents = await add_residents(sessions, 40, start=5000)
    capacity = 6
    lab_id = await add_lab(sessions, capacity=capacity, guests=1)
    clock = NOW

    async def act(tid: int, now: datetime) -> None:
        try:
            reg = await labs.registration(lab_id, tid)
            status = reg.status if reg else None
            if status in (None, "cancelled", "expired"):
                await labs.sign_up(lab_id, tid, guests=rng.choice((0, 0, 1)), now=now)
            elif status == "offered" and reg is not None:
                await labs.answer_offer(reg.id, tid, rng.random() < 0.6, now=now)
            elif rng.random() < 0.5:
                await labs.cancel(lab_id, tid, now=now)
        except LabError as exc:  # a race lost politely is fine; a broken invariant is not
            assert exc.problem in {
                LabProblem.ALREADY,
                LabProblem.NOT_SIGNED_UP,
                LabProblem.NO_OFFER,
                LabProblem.OFFER_EXPIRED,
            }, exc

    for _trial in range(12):
        batch = rng.sample(residents, 15)
        clock += timedelta(minutes=rng.choice((1, 10, 40)))
        await asyncio.gather(*(act(t, clock) for t in batch), jobs.expire_offers(clock))
        await assert_consistent(sessions, lab_id, capacity)
    async with sessions() as session:
        regs = list(
            (
                await session.execute(
                    select(LabRegistration).where(LabRegistration.lab_id == lab_id)
                )
            ).scalars()
        )
        offers = await session.execute(
            select(OutboxMessage.dedupe_key, func.count())
            .where(OutboxMessage.kind == "lab_offer")
            .group_by(OutboxMessage.dedupe_key)
        )
        counted = offers.all()
        assert counted, "the trials should have promoted someone from the waitlist"
        assert all(count == 1 for _, count in counted)  # every promotion exactly once
    assert sum(r.seats for r in regs if r.status in ("confirmed", "offered")) <= capacity


async def test_fill_alerts_go_to_the_coordinator_chat_once_each(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions, coordinator_chat_id=-100500)
    residents = await add_residents(sessions, 12)
    lab_id = await add_lab(sessions, capacity=10)
    for tid in residents:
        await labs.sign_up(lab_id, tid, now=NOW)
    await labs.cancel(lab_id, residents[0], now=NOW)  # the waitlist takes it; no new alert
    alerts = await outbox(sessions, "lab_alert")
    assert [a.dedupe_key for a in alerts] == [
        f"labfill:{lab_id}:50",
        f"labfill:{lab_id}:80",
        f"labfill:{lab_id}:100",
    ]
    assert {a.chat_id for a in alerts} == {-100500}
    assert "100" in alerts[-1].text


async def test_reminders_once_missed_ones_collapse_and_survive_a_restart(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, jobs = make(sessions)
    ana, ben, cene = await add_residents(sessions, 3)
    starts = NOW + timedelta(hours=30)
    lab_id = await add_lab(sessions, capacity=2, starts=starts, reminders=(1440, 120))
    for tid in (ana, ben, cene):
        await labs.sign_up(lab_id, tid, now=NOW)
    assert (await jobs.send_reminders(NOW)) == 0
    assert (await jobs.send_reminders(starts - timedelta(hours=23))) == 2  # confirmed only
    # A "restart": fresh services over the same database; nothing is sent twice.
    labs2, _, jobs2 = make(sessions)
    assert (await jobs2.send_reminders(starts - timedelta(hours=22))) == 0
    assert (await jobs2.send_reminders(starts - timedelta(minutes=90))) == 2
    rows = await outbox(sessions, "lab_reminder")
    assert sorted(r.chat_id for r in rows) == sorted([ana, ben, ana, ben])
    assert len({r.dedupe_key for r in rows}) == 4

    # Down through both reminder times: only the latest goes out; after the start, none.
    other = await add_lab(sessions, capacity=None, starts=starts, reminders=(1440, 120))
    await labs2.sign_up(other, cene, now=NOW)
    assert (await jobs2.send_reminders(starts - timedelta(minutes=30))) == 1
    late = await add_lab(sessions, capacity=None, starts=starts, reminders=(60,))
    await labs2.sign_up(late, cene, now=NOW)
    assert (await jobs2.send_reminders(starts + timedelta(minutes=1))) == 0
    texts = [r.text for r in await outbox(sessions, "lab_reminder") if r.chat_id == cene]
    assert len(texts) == 1


async def test_leaving_withdraws_queued_reminders(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, jobs = make(sessions)
    (ana,) = await add_residents(sessions, 1)
    starts = NOW + timedelta(hours=1)
    lab_id = await add_lab(sessions, capacity=3, starts=starts, reminders=(120,))
    await labs.sign_up(lab_id, ana, now=NOW)
    assert await jobs.send_reminders(NOW) == 1
    await labs.cancel(lab_id, ana, now=NOW)
    assert [r.status for r in await outbox(sessions, "lab_reminder")] == ["cancelled"]


async def test_feedback_asked_of_attendees_and_reported_in_aggregate(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, jobs = make(
        sessions,
        coordinator_chat_id=-1,
        min_group_size=5,
        feedback_report_after=timedelta(hours=48),
    )
    records = LabRecords(sessions)
    residents = await add_residents(sessions, 8)
    starts = NOW + timedelta(hours=1)
    lab_id = await add_lab(sessions, capacity=10, starts=starts)
    for tid in residents:
        await labs.sign_up(lab_id, tid, now=NOW)
    # Six of eight come; check-in by code, twice is harmless.
    for tid in residents[:6]:
        code = (await labs.registration(lab_id, tid)).checkin_code
        _, _, already = await records.check_in(code.lower(), actor=1, now=starts)
        assert not already
    _, _, already = await records.check_in(code, actor=1, now=starts)
    assert already
    with pytest.raises(LabError) as unknown:
        await records.check_in("ZZZZZZ", actor=1, now=starts)
    assert unknown.value.problem == LabProblem.UNKNOWN_CODE
    ended = starts + timedelta(hours=2, minutes=1)
    assert await jobs.ask_feedback(ended) == 6
    assert await jobs.ask_feedback(ended) == 0
    prompts = await outbox(sessions, "lab_feedback")
    assert sorted(p.chat_id for p in prompts) == sorted(residents[:6])
    for i, tid in enumerate(residents[:6]):
        reg = await labs.registration(lab_id, tid)
        await records.give_feedback(reg.id, tid, useful=3 if i < 4 else 1, again=3, now=ended)
    reg = await labs.registration(lab_id, residents[0])
    # The second answer awaits the optional line, in the same transaction; the line ends it.
    assert await awaiting_of(sessions, residents[0]) == f"fb:{reg.id}"
    await records.give_feedback(
        reg.id, residents[0], text="Več takih! Piši mi na ana@example.com", now=ended
    )
    assert await awaiting_of(sessions, residents[0]) is None
    assert await jobs.report_feedback(ended + timedelta(hours=47)) == 0
    assert await jobs.report_feedback(ended + timedelta(hours=49)) == 1
    (report,) = await outbox(sessions, "lab_feedback_report")
    assert "67 %" in report.text and "33 %" in report.text
    assert "ana@example.com" not in report.text and "Več takih!" in report.text
    roster = await records.roster(lab_id)
    assert (roster.checked_in, roster.feedback.answers) == (6, 6)


async def test_check_in_needs_a_confirmed_seat_around_the_time_of_the_lab(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions)
    records = LabRecords(sessions)
    ana, ben = await add_residents(sessions, 2)
    starts = NOW + timedelta(hours=1)
    lab_id = await add_lab(sessions, capacity=1, starts=starts)
    await labs.sign_up(lab_id, ana, now=NOW)
    await labs.sign_up(lab_id, ben, now=NOW)  # waitlisted
    waiting = (await labs.registration(lab_id, ben)).checkin_code
    with pytest.raises(LabError) as no_seat:
        await records.check_in(waiting, actor=1, now=starts)
    assert no_seat.value.problem == LabProblem.NO_SEAT
    code = (await labs.registration(lab_id, ana)).checkin_code
    with pytest.raises(LabError) as early:
        await records.check_in(code, actor=1, now=starts - timedelta(hours=13))
    assert early.value.problem == LabProblem.NOT_NOW


async def test_feedback_of_fewer_than_the_minimum_group_is_not_shown(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, jobs = make(
        sessions, coordinator_chat_id=-1, min_group_size=5, feedback_report_after=timedelta(0)
    )
    records = LabRecords(sessions)
    residents = await add_residents(sessions, 3)
    starts = NOW + timedelta(hours=1)
    lab_id = await add_lab(sessions, capacity=10, starts=starts)
    for tid in residents:
        await labs.sign_up(lab_id, tid, now=NOW)
    ended = starts + timedelta(hours=3)
    await jobs.ask_feedback(ended)
    for tid in residents:
        reg = await labs.registration(lab_id, tid)
        await records.give_feedback(reg.id, tid, useful=1, again=1, text="slabo", now=ended)
    await jobs.report_feedback(ended)
    (report,) = await outbox(sessions, "lab_feedback_report")
    assert "%" not in report.text.replace("%(", "") and "slabo" not in report.text


async def test_cancelling_a_lab_tells_everyone_once_and_is_audited(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, admin, _ = make(sessions)
    residents = await add_residents(sessions, 3)
    lab_id = await add_lab(sessions, capacity=2)
    for tid in residents:
        await labs.sign_up(lab_id, tid, now=NOW)
    assert await admin.cancel(7, lab_id, now=NOW) == 3
    with pytest.raises(LabError):
        await admin.cancel(7, lab_id, now=NOW)
    notices = await outbox(sessions, "lab_cancelled")
    assert sorted(n.chat_id for n in notices) == sorted(residents)
    en = next(n for n in notices if n.chat_id == residents[0])  # language_code "en"
    assert "cancelled" in en.text
    async with sessions() as session:
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert "lab.cancel" in actions


async def test_import_is_all_or_nothing_with_a_problem_per_field(sessions) -> None:  # type: ignore[no-untyped-def]
    _, admin, _ = make(sessions)
    good = {
        "title_sl": "Energetske skupnosti",
        "title_en": "Energy communities",
        "description_sl": "Kako ustanoviti skupnost",
        "description_en": "How to start one",
        "hub": "prebold",
        "topic": "energy",
        "start": "2026-12-10 17:00",
        "end": "19:00",
        "capacity": "15",
    }
    bad = dict(good, hub="ljubljana", topic="space", start="jutri", capacity="-3")
    ids, problems = await admin.import_rows([good, bad], actor=None, locale="sl", now=NOW)
    assert ids == []
    assert {(p.row, p.field) for p in problems} == {
        (2, "hub"),
        (2, "topic"),
        (2, "start"),
        (2, "capacity"),
    }
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Lab)) == 0
    ids, problems = await admin.import_rows(
        [good, dict(good, reminders="48, 1", guests="1")], None, "sl", now=NOW
    )
    assert problems == [] and len(ids) == 2
    async with sessions() as session:
        lab = await session.get(Lab, ids[0])
        assert lab.starts_at == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 17:00 in Ljubljana
        assert lab.ends_at == datetime(2026, 12, 10, 18, 0, tzinfo=UTC)
        assert lab.reminder_minutes == [1440, 120]
        second = await session.get(Lab, ids[1])
        assert (second.reminder_minutes, second.guests) == ([2880, 60], 1)


async def test_registrations_are_deleted_after_the_retention_period(sessions) -> None:  # type: ignore[no-untyped-def]
    labs, _, _ = make(sessions)
    records = LabRecords(sessions)
    jobs = LabJobs(sessions, I18n(TZ, "sl"), retention=timedelta(days=180))
    residents = await add_residents(sessions, 3)
    starts = NOW + timedelta(hours=1)
    lab_id = await add_lab(sessions, capacity=2, starts=starts)
    for tid in residents:
        await labs.sign_up(lab_id, tid, now=NOW)
    code = (await labs.registration(lab_id, residents[0])).checkin_code
    await records.check_in(code, actor=1, now=starts)
    ended = starts + timedelta(hours=2)
    assert await jobs.apply_retention(ended + timedelta(days=179)) == 0
    assert await jobs.apply_retention(ended + timedelta(days=181)) == 3
    assert await jobs.apply_retention(ended + timedelta(days=182)) == 0
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LabRegistration)) == 0
        lab = await session.get(Lab, lab_id)
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert lab.retained == {
        "confirmed": 2,
        "checked_in": 1,
        "checked_in_by_municipality": {"prebold": 1},
        "feedback_answers": 0,
    }
    assert "privacy.retention" in actions
