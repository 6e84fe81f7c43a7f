from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from bot.domain import Step
from storage.models import Resident, ResidentTopic, RoleGrant, utcnow


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    # Each dialect's module is imported by the engine that uses it; importing PostgreSQL's
    # here would cost a SQLite bot a tenth of a second at start.
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def get_resident(
    session: AsyncSession, telegram_id: int, *, lock: bool = False
) -> Resident | None:
    query = select(Resident).where(Resident.telegram_id == telegram_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_resident_topics_roles(
    session: AsyncSession, telegram_id: int
) -> tuple[Resident, set[str], set[str]] | None:
    """The resident with their topics and roles, in one statement: the gate runs it for every
    update (a row per topic and role; there are a handful of each at most)."""
    query = (
        select(Resident, ResidentTopic.topic, RoleGrant.role)
        .outerjoin(ResidentTopic, ResidentTopic.resident_id == Resident.id)
        .outerjoin(RoleGrant, RoleGrant.telegram_id == Resident.telegram_id)
        .options(lazyload(Resident.topics))
        .where(Resident.telegram_id == telegram_id)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return None
    topics = {row[1] for row in rows if row[1] is not None}
    return rows[0][0], topics, {row[2] for row in rows if row[2] is not None}


def reachable() -> ColumnElement[bool]:
    """The one rule of who the bot may write to on its own: consented, onboarded, and not
    having blocked the bot (announcements and survey invitations alike)."""
    return and_(
        Resident.consent_version.is_not(None),
        Resident.onboarding_step == Step.DONE.value,
        Resident.is_active.is_(True),
    )


async def reachable_residents(
    session: AsyncSession, *criteria: ColumnElement[bool]
) -> Sequence[Row[tuple[int, int, str | None, str | None]]]:
    """Who may be written to (consented, onboarded, active), narrowed by `criteria`: rows of
    (id, telegram_id, locale, language_code), by id."""
    query = select(Resident.id, Resident.telegram_id, Resident.locale, Resident.language_code)
    query = query.where(reachable(), *criteria)
    return (await session.execute(query.order_by(Resident.id))).all()


async def add_resident_if_missing(session: AsyncSession, telegram_id: int) -> None:
    """Insert a bare resident row; concurrent callers (other replicas) do not collide."""
    now = utcnow()
    stmt = (
        _insert(session)(Resident)
        .values(
            telegram_id=telegram_id,
            onboarding_step="consent",
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Resident.telegram_id])
    )
    await session.execute(stmt)


async def update_resident(session: AsyncSession, telegram_id: int, **values: Any) -> None:
    await session.execute(
        update(Resident)
        .where(Resident.telegram_id == telegram_id)
        .values(updated_at=utcnow(), **values)
    )


async def list_topics(session: AsyncSession, resident_id: int) -> list[str]:
    rows = await session.execute(
        select(ResidentTopic.topic).where(ResidentTopic.resident_id == resident_id)
    )
    return sorted(rows.scalars())


async def add_topic(session: AsyncSession, resident_id: int, topic: str) -> None:
    stmt = (
        _insert(session)(ResidentTopic)
        .values(resident_id=resident_id, topic=topic)
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def delete_topic(session: AsyncSession, resident_id: int, topic: str) -> None:
    await session.execute(
        delete(ResidentTopic).where(
            ResidentTopic.resident_id == resident_id, ResidentTopic.topic == topic
        )
    )


async def delete_topics(session: AsyncSession, resident_id: int) -> None:
    await session.execute(delete(ResidentTopic).where(ResidentTopic.resident_id == resident_id))


# What a resident told us about themselves; erased on withdrawal or /forget.
PROFILE_COLUMNS = ("municipality", "age_band", "status", "start_payload", "language_code")


async def clear_profile(session: AsyncSession, resident: Resident, **values: Any) -> None:
    """Erase the profile and topics (and set `values`), leaving the bare row."""
    await delete_topics(session, resident.id)
    cleared: dict[str, Any] = dict.fromkeys(PROFILE_COLUMNS)
    await update_resident(session, resident.telegram_id, **{**cleared, **values})
