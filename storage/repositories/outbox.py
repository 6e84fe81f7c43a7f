from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.domain import OutboxStatus
from storage.db import mark_outbox_added
from storage.models import DeliveryAttempt, DeliveryWorker, OutboxMessage
from storage.repositories.residents import _insert


def outbox_row(
    *,
    key: str,
    kind: str,
    chat_id: int,
    text: str,
    now: datetime,
    urgent: bool = False,
    resident_id: int | None = None,
    announcement_id: int | None = None,
    reply_markup: dict[str, Any] | None = None,
    photo_file_id: str | None = None,
    attachment: bytes | None = None,
    attachment_name: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """A pending outbox row with every column given, so rows of any kind share one INSERT."""
    return {
        "dedupe_key": key[:128],
        "kind": kind,
        "announcement_id": announcement_id,
        "resident_id": resident_id,
        "chat_id": chat_id,
        "text": text,
        "photo_file_id": photo_file_id,
        "attachment": attachment,
        "attachment_name": attachment_name,
        "reply_markup": reply_markup,
        "urgent": urgent,
        "status": OutboxStatus.PENDING.value,
        "not_before": not_before or now,
        "attempts": 0,
        "created_at": now,
    }


async def add_outbox_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows, skipping any whose dedupe_key is already queued; returns how many were new."""
    if not rows:
        return 0
    keys = set(rows[0])
    if any(set(row) != keys for row in rows):
        raise ValueError("outbox rows of one insert must have the same columns")
    inserted = 0
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        stmt = (
            _insert(session)(OutboxMessage)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        )
        result = await session.execute(stmt)
        inserted += result.rowcount or 0
    if inserted:
        mark_outbox_added(session)
    return inserted


async def claim_outbox_messages(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    urgent_only: bool,
) -> list[OutboxMessage]:
    """Due rows, pending or with a lapsed lease, leased to `worker`; others' rows are skipped."""
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now),
    )
    query = select(OutboxMessage).where(due).order_by(OutboxMessage.id).limit(limit)
    if urgent_only:
        query = query.where(OutboxMessage.urgent.is_(True))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).scalars())
    if rows:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in rows]))
            .values(status=OutboxStatus.SENDING, leased_by=worker, lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        for row in rows:  # what the UPDATE wrote, without reloading or writing it twice
            set_committed_value(row, "status", OutboxStatus.SENDING.value)
            set_committed_value(row, "leased_by", worker)
            set_committed_value(row, "lease_until", lease_until)
    return rows


async def release_outbox_messages(session: AsyncSession, ids: Sequence[int], worker: str) -> None:
    """Hand back rows claimed but not attempted (a clean shutdown)."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.leased_by == worker)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.PENDING, leased_by=None, lease_until=None)
        )


async def add_attempt(session: AsyncSession, outbox_id: int, worker: str, now: datetime) -> int:
    attempt = DeliveryAttempt(outbox_id=outbox_id, worker=worker, started_at=now)
    session.add(attempt)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(attempts=OutboxMessage.attempts + 1)
    )
    await session.flush()
    return attempt.id


async def finish_attempt(
    session: AsyncSession,
    attempt_id: int,
    *,
    now: datetime,
    outcome: str,
    message_id: int | None = None,
    error: str | None = None,
) -> None:
    await session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id == attempt_id)
        .values(finished_at=now, outcome=outcome, telegram_message_id=message_id, error=error)
    )


async def update_outbox_message(session: AsyncSession, outbox_id: int, **values: Any) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values)
    )


async def block_pending_for_chat(session: AsyncSession, chat_id: int) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.BLOCKED, last_error="the resident has blocked the bot")
    )
    return result.rowcount or 0


async def cancel_pending(session: AsyncSession, announcement_id: int) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount or 0


async def count_by_status(
    session: AsyncSession, announcement_id: int, kind: str | None = "announcement"
) -> dict[str, int]:
    """Rows of one announcement by status: its recipients' (or, with kind=None, all of them)."""
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.announcement_id == announcement_id)
        .group_by(OutboxMessage.status)
    )
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    rows = await session.execute(query)
    return {status: count for status, count in rows.all()}


async def count_sent_since(session: AsyncSession, announcement_id: int, since: datetime) -> int:
    return (
        await session.scalar(
            select(func.count()).where(
                OutboxMessage.announcement_id == announcement_id,
                OutboxMessage.kind == "announcement",
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.sent_at >= since,
            )
        )
        or 0
    )


async def last_sent_at(session: AsyncSession, announcement_id: int) -> datetime | None:
    # max() keeps the column's type, so this comes back as an aware UTC datetime.
    return await session.scalar(
        select(func.max(OutboxMessage.sent_at)).where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.kind == "announcement",
        )
    )


async def beat(session: AsyncSession, worker: str, now: datetime, alive_since: datetime) -> int:
    """Record that `worker` is sending; return how many workers are sending now (itself
    included), so each can take its share of the overall rate."""
    insert = _insert(session)(DeliveryWorker).values(worker=worker, seen_at=now)
    await session.execute(
        insert.on_conflict_do_update(index_elements=["worker"], set_={"seen_at": now})
    )
    # Workers gone long ago (killed, never said goodbye) are tidied away.
    await session.execute(delete(DeliveryWorker).where(DeliveryWorker.seen_at < alive_since))
    return int(
        await session.scalar(
            select(func.count())
            .select_from(DeliveryWorker)
            .where(DeliveryWorker.seen_at >= alive_since)
        )
        or 1
    )


async def retire(session: AsyncSession, worker: str) -> None:
    await session.execute(delete(DeliveryWorker).where(DeliveryWorker.worker == worker))
