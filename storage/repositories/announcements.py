"""Announcements and their audiences: every query the announcement service needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import HOLDING, AnnouncementStatus, LabStatus
from storage.models import Announcement, Lab, LabRegistration, Resident, ResidentTopic
from storage.repositories import residents as residents_repo

# Announcements still in play: waiting for their time, or going out.
LIVE = (AnnouncementStatus.SCHEDULED, AnnouncementStatus.SENDING)


async def get_draft(
    session: AsyncSession, author: int, *, lock: bool = False
) -> Announcement | None:
    """The author's draft (a coordinator composes one at a time)."""
    query = select(Announcement).where(
        Announcement.author_telegram_id == author,
        Announcement.status == AnnouncementStatus.DRAFT,
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


def add_draft(session: AsyncSession, author: int, locale: str, **values: Any) -> Announcement:
    draft = Announcement(
        author_telegram_id=author,
        author_locale=locale,
        status=AnnouncementStatus.DRAFT.value,
        audience_values=[],
        urgent=False,
        recipients=0,
        **values,
    )
    session.add(draft)
    return draft


async def get_announcement(
    session: AsyncSession, announcement_id: int, *, lock: bool = False
) -> Announcement | None:
    return await session.get(Announcement, announcement_id, with_for_update=lock)


async def claim_scheduled(session: AsyncSession, announcement_id: int) -> Announcement | None:
    """A scheduled announcement, locked; None if gone, or another replica holds it."""
    query = select(Announcement).where(
        Announcement.id == announcement_id,
        Announcement.status == AnnouncementStatus.SCHEDULED,
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).scalars().first()


async def list_due(session: AsyncSession, now: datetime) -> list[Announcement]:
    query = (
        select(Announcement)
        .where(
            Announcement.status == AnnouncementStatus.SCHEDULED, Announcement.scheduled_at <= now
        )
        .order_by(Announcement.scheduled_at)
    )
    return list((await session.execute(query)).scalars())


async def list_live(session: AsyncSession) -> list[Announcement]:
    query = select(Announcement).where(Announcement.status.in_(LIVE)).order_by(Announcement.id)
    return list((await session.execute(query)).scalars())


async def list_audience_labs(
    session: AsyncSession, ending_after: datetime, limit: int = 30
) -> Sequence[Row[tuple[int, str | None, str | None, datetime]]]:
    """Published labs that end after `ending_after`: (id, title_sl, title_en, starts_at)."""
    query = (
        select(Lab.id, Lab.title_sl, Lab.title_en, Lab.starts_at)
        .where(Lab.status == LabStatus.PUBLISHED, Lab.ends_at > ending_after)
        .order_by(Lab.starts_at)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def list_recipients(
    session: AsyncSession,
    *,
    municipalities: Sequence[str] | None = None,
    topics: Sequence[str] | None = None,
    lab_ids: Sequence[int] | None = None,
) -> Sequence[Row[tuple[int, int, str | None, str | None]]]:
    """Reachable residents, narrowed by each filter given: (id, telegram_id, locale,
    language_code) in id order. A lab's participants hold a seat (confirmed or offered)."""
    query = select(Resident.id, Resident.telegram_id, Resident.locale, Resident.language_code)
    query = query.where(residents_repo.reachable())
    if municipalities is not None:
        query = query.where(Resident.municipality.in_(municipalities))
    if topics is not None:
        topical = select(ResidentTopic.resident_id).where(ResidentTopic.topic.in_(topics))
        query = query.where(Resident.id.in_(topical))
    if lab_ids is not None:
        taking_part = select(LabRegistration.resident_id).where(
            LabRegistration.lab_id.in_(lab_ids), LabRegistration.status.in_(HOLDING)
        )
        query = query.where(Resident.id.in_(taking_part))
    return (await session.execute(query.order_by(Resident.id))).all()


async def set_report_message(
    session: AsyncSession, announcement_id: int, chat_id: int, message_id: int
) -> None:
    await session.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id)
        .values(report_chat_id=chat_id, report_message_id=message_id)
    )
