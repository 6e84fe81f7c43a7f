from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Hub


async def list_hubs(session: AsyncSession) -> list[Hub]:
    return list((await session.execute(select(Hub).order_by(Hub.id))).scalars())


async def get_hub(session: AsyncSession, code: str) -> Hub | None:
    return (await session.execute(select(Hub).where(Hub.code == code))).scalar_one_or_none()
