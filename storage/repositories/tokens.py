"""Staff tokens (stored as hashes): SQL only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StaffToken


async def add_token(session: AsyncSession, name: str, token_hash: str) -> StaffToken:
    row = StaffToken(name=name, token_hash=token_hash)
    session.add(row)
    await session.flush()
    return row


async def list_tokens(session: AsyncSession) -> Sequence[StaffToken]:
    return (await session.execute(select(StaffToken).order_by(StaffToken.id))).scalars().all()


async def get_token_by_hash(session: AsyncSession, token_hash: str) -> StaffToken | None:
    query = select(StaffToken).where(StaffToken.token_hash == token_hash)
    return (await session.execute(query)).scalar_one_or_none()


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> bool:
    """False if there is no such token or it was revoked already."""
    result = await session.execute(
        update(StaffToken)
        .where(StaffToken.id == token_id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)
