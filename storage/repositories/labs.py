"""Labs and registrations: SQL only; the service owns the transaction and the lab's lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import HOLDING, LabStatus, OutboxStatus, RegistrationStatus
from storage.models import Lab, LabRegistration, OutboxMessage, Resident


async def get_lab(session: AsyncSession, lab_id: int, *, lock: bool = False) -> Lab | None:
    """With lock=True every change to the lab's seats is serialised on its row (PostgreSQL);
    SQLite's BEGIN IMMEDIATE already serialises writers."""
    query = select(Lab).where(Lab.id == lab_id)
    if lock:
        query = query.with_for_update(of=Lab)
    return (await session.execute(query)).unique().scalar_one_or_none()


async def get_draft(session: AsyncSession, author: int) -> Lab | None:
    query = (
        select(Lab)
        .where(Lab.author_telegram_id == author, Lab.status == LabStatus.DRAFT)
        .order_by(Lab.id.desc())
    )
    return (await session.execute(query)).unique().scalars().first()


async def list_labs(
    session: AsyncSession,
    *,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    ends_before: datetime | None = None,
    statuses: Sequence[str] = (LabStatus.PUBLISHED,),
    limit: int | None = None,
) -> list[Lab]:
    query = select(Lab).where(Lab.status.in_(list(statuses)))
    if starts_after is not None:
        query = query.where(Lab.starts_at > starts_after)
    if starts_before is not None:
        query = query.where(Lab.starts_at <= starts_before)
    if ends_before is not None:
        query = query.where(Lab.ends_at <= ends_before)
    query = query.order_by(Lab.starts_at, Lab.id)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).unique().scalars())


async def get_registration(
    session: AsyncSession, lab_id: int, resident_id: int
) -> LabRegistration | None:
    query = select(LabRegistration).where(
        LabRegistration.lab_id == lab_id, LabRegistration.resident_id == resident_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_registration_by_id(session: AsyncSession, reg_id: int) -> LabRegistration | None:
    return await session.get(LabRegistration, reg_id)


async def get_registration_by_code(session: AsyncSession, code: str) -> LabRegistration | None:
    query = select(LabRegistration).where(LabRegistration.checkin_code == code)
    return (await session.execute(query)).scalar_one_or_none()


async def code_exists(session: AsyncSession, code: str) -> bool:
    query = select(func.count()).where(LabRegistration.checkin_code == code)
    return bool(await session.scalar(query))


async def list_registrations(
    session: AsyncSession, lab_id: int, statuses: Sequence[str] | None = None
) -> list[LabRegistration]:
    query = select(LabRegistration).where(LabRegistration.lab_id == lab_id)
    if statuses is not None:
        query = query.where(LabRegistration.status.in_(list(statuses)))
    return list((await session.execute(query.order_by(LabRegistration.ticket))).scalars())


async def waitlist_position(session: AsyncSession, lab_id: int, ticket: int) -> int:
    query = select(func.count()).where(
        LabRegistration.lab_id == lab_id,
        LabRegistration.status == RegistrationStatus.WAITLISTED,
        LabRegistration.ticket <= ticket,
    )
    return int(await session.scalar(query) or 0)


async def count_by_status(
    session: AsyncSession, lab_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    if not lab_ids:
        return {}
    query = (
        select(LabRegistration.lab_id, LabRegistration.status, func.count())
        .where(LabRegistration.lab_id.in_(list(lab_ids)))
        .group_by(LabRegistration.lab_id, LabRegistration.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for lab_id, status, count in (await session.execute(query)).all():
        counts.setdefault(lab_id, {})[status] = count
    return counts


async def held_seats(session: AsyncSession, lab_id: int) -> int:
    query = select(func.coalesce(func.sum(LabRegistration.seats), 0)).where(
        LabRegistration.lab_id == lab_id, LabRegistration.status.in_(list(HOLDING))
    )
    return int(await session.scalar(query) or 0)


async def expired_offers(session: AsyncSession, now: datetime) -> list[tuple[int, int]]:
    """(lab id, registration id) of offers past their expiry."""
    query = (
        select(LabRegistration.lab_id, LabRegistration.id)
        .where(
            LabRegistration.status == RegistrationStatus.OFFERED,
            LabRegistration.offer_expires_at <= now,
        )
        .order_by(LabRegistration.offer_expires_at)
    )
    return [(lab_id, reg_id) for lab_id, reg_id in (await session.execute(query)).all()]


async def resident_registrations(
    session: AsyncSession, resident_id: int
) -> list[tuple[LabRegistration, Lab]]:
    query = (
        select(LabRegistration, Lab)
        .join(Lab, Lab.id == LabRegistration.lab_id)
        .where(LabRegistration.resident_id == resident_id, Lab.status != LabStatus.DRAFT)
        .order_by(Lab.starts_at)
    )
    return [(reg, lab) for reg, lab in (await session.execute(query)).unique().all()]


async def recipients(
    session: AsyncSession, lab_id: int, statuses: Sequence[str]
) -> list[tuple[LabRegistration, Resident]]:
    """Registrations with their residents, for messages: only residents who can be reached."""
    query = (
        select(LabRegistration, Resident)
        .join(Resident, Resident.id == LabRegistration.resident_id)
        .where(
            LabRegistration.lab_id == lab_id,
            LabRegistration.status.in_(list(statuses)),
            Resident.is_active.is_(True),
        )
        .order_by(LabRegistration.ticket)
    )
    return [(reg, resident) for reg, resident in (await session.execute(query)).all()]


async def recipients_all(
    session: AsyncSession, lab_id: int
) -> list[tuple[LabRegistration, Resident]]:
    """Every registration of the lab with its resident, reachable or not."""
    query = (
        select(LabRegistration, Resident)
        .join(Resident, Resident.id == LabRegistration.resident_id)
        .where(LabRegistration.lab_id == lab_id)
    )
    return [(reg, resident) for reg, resident in (await session.execute(query)).all()]


async def cancel_queued_reminders(session: AsyncSession, lab_id: int, resident_id: int) -> int:
    """A resident who leaves a lab gets none of its reminders still waiting in the outbox."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.resident_id == resident_id,
            OutboxMessage.kind == "lab_reminder",
            OutboxMessage.dedupe_key.like(f"labrem:{lab_id}:%"),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount or 0


async def labs_to_retain(session: AsyncSession, *, ended_before: datetime) -> list[int]:
    """Labs that ended before then whose registrations have not yet been reduced to counts."""
    query = select(Lab.id).where(
        Lab.ends_at < ended_before, Lab.retained.is_(None), Lab.status != LabStatus.DRAFT
    )
    return list((await session.execute(query)).scalars())


async def delete_registrations(session: AsyncSession, lab_id: int) -> int:
    result = await session.execute(delete(LabRegistration).where(LabRegistration.lab_id == lab_id))
    return result.rowcount or 0
