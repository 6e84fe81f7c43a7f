"""Urban stories: every query the story service needs (no commits)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Story

DRAFT, PUBLISHED = "draft", "published"


async def get_story(session: AsyncSession, story_id: int, *, lock: bool = False) -> Story | None:
    query = select(Story).where(Story.id == story_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def get_draft(session: AsyncSession, author_id: int, *, lock: bool = False) -> Story | None:
    query = select(Story).where(Story.author_id == author_id, Story.status == DRAFT)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query.order_by(Story.id))).scalars().first()


async def list_published(
    session: AsyncSession, offset: int, limit: int
) -> tuple[Sequence[Story], int]:
    rows = await session.execute(
        select(Story)
        .where(Story.status == PUBLISHED)
        .order_by(Story.published_at.desc(), Story.id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = await session.execute(
        select(func.count()).select_from(Story).where(Story.status == PUBLISHED)
    )
    return rows.scalars().all(), int(total.scalar_one())


async def list_all_published(session: AsyncSession) -> Sequence[Story]:
    rows = await session.execute(
        select(Story).where(Story.status == PUBLISHED).order_by(Story.published_at, Story.id)
    )
    return rows.scalars().all()


async def list_authored(session: AsyncSession, author_id: int) -> Sequence[Story]:
    rows = await session.execute(
        select(Story).where(Story.author_id == author_id).order_by(Story.id)
    )
    return rows.scalars().all()


async def forget_resident(session: AsyncSession, resident_id: int) -> None:
    """Drafts go; submitted and published stories stay without their author."""
    await session.execute(
        delete(Story).where(Story.author_id == resident_id, Story.status == DRAFT)
    )
    await session.execute(
        update(Story).where(Story.author_id == resident_id).values(author_id=None)
    )
