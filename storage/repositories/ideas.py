"""Ideas and their supports: every query the idea service needs (no commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ScalarSelect, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Idea, IdeaSupport, Resident
from storage.repositories import residents as residents_repo

DRAFT, PENDING, PUBLISHED = "draft", "pending", "published"


async def get_idea(session: AsyncSession, idea_id: int, *, lock: bool = False) -> Idea | None:
    query = select(Idea).where(Idea.id == idea_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def get_draft(session: AsyncSession, author_id: int, *, lock: bool = False) -> Idea | None:
    query = select(Idea).where(Idea.author_id == author_id, Idea.status == DRAFT)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query.order_by(Idea.id))).scalars().first()


def _supports() -> ScalarSelect[int]:
    """An idea's support count, as a column of a query over ideas."""
    return (
        select(func.count()).where(IdeaSupport.idea_id == Idea.id).correlate(Idea).scalar_subquery()
    )


async def count_supports(session: AsyncSession, idea_id: int) -> int:
    query = select(func.count()).where(IdeaSupport.idea_id == idea_id)
    return int((await session.execute(query)).scalar_one())


async def list_published(
    session: AsyncSession, *, topic: str | None, top: bool, offset: int, limit: int
) -> tuple[list[tuple[Idea, int]], int]:
    """A page of published ideas with their support counts, and how many there are in all."""
    criteria = [Idea.status == PUBLISHED]
    if topic is not None:
        criteria.append(Idea.topic == topic)
    supports = _supports().label("supports")
    order = (supports.desc(), Idea.published_at.desc()) if top else (Idea.published_at.desc(),)
    rows = await session.execute(
        select(Idea, supports)
        .where(*criteria)
        .order_by(*order, Idea.id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = await session.execute(select(func.count()).select_from(Idea).where(*criteria))
    return [(idea, int(n)) for idea, n in rows.all()], int(total.scalar_one())


async def list_pending(session: AsyncSession, limit: int) -> Sequence[Idea]:
    rows = await session.execute(
        select(Idea).where(Idea.status == PENDING).order_by(Idea.submitted_at, Idea.id).limit(limit)
    )
    return rows.scalars().all()


async def list_authored(session: AsyncSession, author_id: int) -> Sequence[Idea]:
    rows = await session.execute(select(Idea).where(Idea.author_id == author_id).order_by(Idea.id))
    return rows.scalars().all()


async def is_supporting(session: AsyncSession, idea_id: int, resident_id: int) -> bool:
    found = await session.get(IdeaSupport, (idea_id, resident_id))
    return found is not None


async def add_support(session: AsyncSession, idea_id: int, resident_id: int) -> bool:
    """False if this resident supports the idea already (the caller holds the idea's lock)."""
    if await is_supporting(session, idea_id, resident_id):
        return False
    session.add(IdeaSupport(idea_id=idea_id, resident_id=resident_id))
    await session.flush()
    return True


async def delete_support(session: AsyncSession, idea_id: int, resident_id: int) -> bool:
    result = await session.execute(
        delete(IdeaSupport).where(
            IdeaSupport.idea_id == idea_id, IdeaSupport.resident_id == resident_id
        )
    )
    return bool(result.rowcount)


async def list_supported(session: AsyncSession, resident_id: int) -> list[tuple[IdeaSupport, Idea]]:
    rows = await session.execute(
        select(IdeaSupport, Idea)
        .join(Idea, Idea.id == IdeaSupport.idea_id)
        .where(IdeaSupport.resident_id == resident_id)
        .order_by(IdeaSupport.created_at, Idea.id)
    )
    return [(support, idea) for support, idea in rows.all()]


async def list_people_to_tell(
    session: AsyncSession, idea_id: int
) -> Sequence[tuple[int, int, str | None, str | None]]:
    """Supporters and the author of an idea whom the bot may write to: (id, telegram_id,
    locale, language_code)."""
    supporters = select(IdeaSupport.resident_id).where(IdeaSupport.idea_id == idea_id)
    author = select(Idea.author_id).where(Idea.id == idea_id, Idea.author_id.is_not(None))
    rows = await residents_repo.reachable_residents(
        session, Resident.id.in_(supporters.union(author).scalar_subquery())
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def list_top(
    session: AsyncSession, since: datetime, limit: int, minimum: int
) -> list[tuple[Idea, int, int]]:
    """Published ideas by the supports they gathered since `since` (at least `minimum`):
    (idea, new supports, all supports)."""
    new = (
        select(IdeaSupport.idea_id, func.count().label("new"))
        .where(IdeaSupport.created_at >= since)
        .group_by(IdeaSupport.idea_id)
        .subquery()
    )
    total = _supports().label("total")
    rows = await session.execute(
        select(Idea, new.c.new, total)
        .join(new, new.c.idea_id == Idea.id)
        .where(Idea.status == PUBLISHED, new.c.new >= minimum)
        .order_by(new.c.new.desc(), Idea.id)
        .limit(limit)
    )
    return [(idea, int(n), int(t)) for idea, n, t in rows.all()]


async def list_all_for_export(session: AsyncSession) -> Sequence[tuple[Idea, int]]:
    supports = _supports().label("supports")
    rows = await session.execute(
        select(Idea, supports).where(Idea.status != DRAFT).order_by(Idea.id)
    )
    return [(idea, int(n)) for idea, n in rows.all()]


async def list_supports_for_export(session: AsyncSession) -> Sequence[IdeaSupport]:
    rows = await session.execute(
        select(IdeaSupport)
        .join(Idea, Idea.id == IdeaSupport.idea_id)
        .where(Idea.status != DRAFT)
        .order_by(IdeaSupport.idea_id, IdeaSupport.created_at)
    )
    return rows.scalars().all()


async def forget_resident(session: AsyncSession, resident_id: int) -> None:
    """Drafts and supports go; submitted ideas stay without their author."""
    await session.execute(delete(Idea).where(Idea.author_id == resident_id, Idea.status == DRAFT))
    await session.execute(delete(IdeaSupport).where(IdeaSupport.resident_id == resident_id))
    await session.execute(update(Idea).where(Idea.author_id == resident_id).values(author_id=None))
