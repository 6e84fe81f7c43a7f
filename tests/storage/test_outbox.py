"""The outbox on both backends: idempotent enqueue, leases, and concurrent claims."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import migrate
from storage.db import create_engine, create_sessionmaker, on_outbox_commit
from storage.models import OutboxMessage
from storage.repositories import outbox as repo
from tests.support.harness import eventually


def rows(n: int, now: datetime, start: int = 0) -> list[dict]:  # type: ignore[type-arg]
    return [
        {
            "dedupe_key": f"test:{i}",
            "kind": "test",
            "chat_id": 1000 + i,
            "text": f"message {i}",
            "urgent": i % 2 == 0,
            "status": "pending",
            "not_before": now,
            "attempts": 0,
            "created_at": now,
        }
        for i in range(start, start + n)
    ]


async def test_enqueue_is_idempotent(sessions) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        assert await repo.add_outbox_messages(session, rows(10, now)) == 10
    async with sessions.begin() as session:
        assert await repo.add_outbox_messages(session, rows(12, now)) == 2
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 12


async def test_leases_urgency_and_lapsed_leases(sessions) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await repo.add_outbox_messages(session, rows(6, now))
    async with sessions.begin() as session:
        urgent = await repo.claim_outbox_messages(
            session,
            worker="a",
            now=now,
            lease_until=now + timedelta(seconds=30),
            limit=10,
            urgent_only=True,
        )
    assert {r.chat_id for r in urgent} == {1000, 1002, 1004}
    assert all(r.status == "sending" and r.leased_by == "a" for r in urgent)
    async with sessions.begin() as session:
        rest = await repo.claim_outbox_messages(
            session,
            worker="b",
            now=now,
            lease_until=now + timedelta(seconds=30),
            limit=10,
            urgent_only=False,
        )
    assert {r.chat_id for r in rest} == {1001, 1003, 1005}
    later = now + timedelta(seconds=31)
    async with sessions.begin() as session:
        lapsed = await repo.claim_outbox_messages(
            session,
            worker="c",
            now=later,
            lease_until=later + timedelta(seconds=30),
            limit=10,
            urgent_only=False,
        )
    assert len(lapsed) == 6  # a worker that died: its rows are taken over
    async with sessions.begin() as session:
        await repo.release_outbox_messages(session, [r.id for r in lapsed], "c")
    async with sessions() as session:
        statuses = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert set(statuses) == {"pending"}


async def test_concurrent_claims_never_share_a_row(sessions) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await repo.add_outbox_messages(session, rows(400, now))

    async def worker(name: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with sessions.begin() as session:
                claimed = await repo.claim_outbox_messages(
                    session,
                    worker=name,
                    now=now,
                    lease_until=now + timedelta(minutes=5),
                    limit=7,
                    urgent_only=False,
                )
            if not claimed:
                return taken
            taken += [r.id for r in claimed]
            await asyncio.sleep(0)

    results = await asyncio.gather(*(worker(f"w{i}") for i in range(6)))
    everything = [row for taken in results for row in taken]
    assert len(everything) == 400 and len(set(everything)) == 400
    assert sum(1 for taken in results if taken) > 1  # the work was really shared


async def test_delivery_workers_share_the_overall_rate(sessions) -> None:  # type: ignore[no-untyped-def]
    """Two sending replicas each take half of the rate; when one goes, the other takes it all."""
    from bot.delivery.engine import DeliveryConfig, DeliveryEngine
    from bot.delivery.quiet import QuietHours

    config = DeliveryConfig(rate=24.0, beat_seconds=0.1, poll_seconds=0.05)
    quiet = QuietHours.parse("", "Europe/Ljubljana")
    first = DeliveryEngine(None, sessions, quiet, config, worker="replica-a")  # type: ignore[arg-type]
    second = DeliveryEngine(None, sessions, quiet, config, worker="replica-b")  # type: ignore[arg-type]
    first.start()
    second.start()
    try:
        await eventually(lambda: first.workers == second.workers == 2, timeout=60)
        assert first.pacer.rate == second.pacer.rate == 12.0
        await second.stop()
        await eventually(lambda: first.workers == 1, timeout=60)
        assert first.pacer.rate == 24.0
    finally:
        await first.stop()
        await second.stop()
    async with sessions() as session:
        from storage.models import DeliveryWorker

        assert not (await session.execute(select(DeliveryWorker))).all()  # both said goodbye


async def test_a_commit_that_queued_messages_wakes_the_engine(db_url: str) -> None:
    """The engine is woken by the commit itself, so no caller has to remember to wake it."""
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    sessions, other = create_sessionmaker(engine), create_sessionmaker(engine)
    woken: list[str] = []
    on_outbox_commit(sessions, lambda: woken.append("wake"))
    now = datetime.now(UTC)
    try:
        async with sessions.begin() as session:
            await repo.add_outbox_messages(session, rows(2, now))
        assert woken == ["wake"]
        async with sessions.begin() as session:  # nothing new (same keys): nothing to wake for
            await repo.add_outbox_messages(session, rows(2, now))
        async with sessions.begin() as session:  # a commit without the outbox
            await session.execute(select(func.count()).select_from(OutboxMessage))
        assert woken == ["wake"]
        with contextlib.suppress(RuntimeError):
            async with sessions.begin() as session:
                await repo.add_outbox_messages(session, rows(1, now, start=10))
                raise RuntimeError("rolled back")
        async with sessions.begin() as session:  # the rolled-back mark does not linger
            await session.execute(select(func.count()).select_from(OutboxMessage))
        assert woken == ["wake"]
        async with other.begin() as session:  # another sessionmaker: another listener
            await repo.add_outbox_messages(session, rows(1, now, start=20))
        assert woken == ["wake"]
    finally:
        await engine.dispose()


def test_sql_errors_never_show_their_parameters(sqlite_url: str) -> None:
    """Parameters hold Telegram ids and residents' texts; logged errors must not carry them."""
    engine = create_engine(sqlite_url)
    assert engine.sync_engine.hide_parameters


async def test_a_worker_busy_with_a_long_batch_keeps_its_share(sessions) -> None:  # type: ignore[no-untyped-def]
    """A worker pacing a long batch still says it is alive, so the other never takes the whole
    rate while both send; and one that joins waits until the others have seen it."""
    from bot.delivery.engine import DeliveryConfig, DeliveryEngine
    from bot.delivery.quiet import QuietHours

    config = DeliveryConfig(rate=24.0, beat_seconds=0.1, poll_seconds=0.05)
    quiet = QuietHours.parse("", "Europe/Ljubljana")
    busy = DeliveryEngine(None, sessions, quiet, config, worker="replica-busy")  # type: ignore[arg-type]
    other = DeliveryEngine(None, sessions, quiet, config, worker="replica-other")  # type: ignore[arg-type]
    release = asyncio.Event()
    claims: list[float] = []

    async def long_batch() -> None:  # stands in for a batch paced over many beats
        await release.wait()

    async def first_claim() -> list[object]:
        claims.append(asyncio.get_running_loop().time())
        return []

    busy._loop = long_batch  # type: ignore[method-assign]
    busy.start()
    await asyncio.sleep(0.15)
    joined = asyncio.get_running_loop().time()
    other._claim = first_claim  # type: ignore[method-assign]
    other.start()
    try:
        await asyncio.sleep(1.0)  # ten beats: the busy one would long count as gone
        assert other.workers == 2 and other.pacer.rate == 12.0
        assert busy.workers == 2 and busy.pacer.rate == 12.0
        assert claims and claims[0] - joined >= config.beat_seconds  # it waited a beat first
    finally:
        release.set()
        await busy.stop()
        await other.stop()


async def test_a_nul_someone_typed_is_stored_not_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses NUL in text: the statement must not fail, and nothing else is lost."""
    now = datetime.now(UTC)
    row = rows(1, now)[0] | {"text": "Več\x00 zelenja", "dedupe_key": "nul"}
    async with sessions.begin() as session:
        assert await repo.add_outbox_messages(session, [row]) == 1
    async with sessions() as session:
        text = await session.scalar(
            select(OutboxMessage.text).where(OutboxMessage.dedupe_key == "nul")
        )
    assert text == "Več\ufffd zelenja"
