from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RoleGrant


async def list_roles_of(session: AsyncSession, telegram_id: int) -> list[str]:
    rows = await session.execute(select(RoleGrant.role).where(RoleGrant.telegram_id == telegram_id))
    return sorted(rows.scalars())


async def list_grants(session: AsyncSession) -> list[RoleGrant]:
    rows = await session.execute(select(RoleGrant).order_by(RoleGrant.role, RoleGrant.telegram_id))
    return list(rows.scalars())


async def get_grant(session: AsyncSession, telegram_id: int, role: str) -> RoleGrant | None:
    return await session.get(RoleGrant, (telegram_id, role))


async def add_grant(session: AsyncSession, telegram_id: int, role: str, granted_by: int) -> None:
    session.add(RoleGrant(telegram_id=telegram_id, role=role, granted_by=granted_by))
    await session.flush()


async def delete_grant(session: AsyncSession, telegram_id: int, role: str) -> int:
    result = await session.execute(
        delete(RoleGrant).where(RoleGrant.telegram_id == telegram_id, RoleGrant.role == role)
    )
    return result.rowcount or 0
