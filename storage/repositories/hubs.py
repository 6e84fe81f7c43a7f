from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Hub, Lab


async def list_hubs(session: AsyncSession) -> list[Hub]:
    return list((await session.execute(select(Hub).order_by(Hub.id))).scalars())


async def get_hub(session: AsyncSession, code: str) -> Hub | None:
    return (await session.execute(select(Hub).where(Hub.code == code))).scalar_one_or_none()


async def hub_in_use(session: AsyncSession, hub_id: int) -> bool:
    found = await session.execute(select(Lab.id).where(Lab.hub_id == hub_id).limit(1))
    return found.first() is not None
