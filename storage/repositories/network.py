"""Peer towns' feeds: SQL only, no commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NetworkFeed


async def get_feed(session: AsyncSession, peer_code: str) -> NetworkFeed | None:
    return await session.get(NetworkFeed, peer_code)


async def list_feeds(session: AsyncSession) -> list[NetworkFeed]:
    return list(await session.scalars(select(NetworkFeed).order_by(NetworkFeed.peer_code)))


async def record_feed(
    session: AsyncSession,
    peer_code: str,
    *,
    body: str,
    key_id: str,
    generated_at: datetime,
    at: datetime,
) -> None:
    row = await session.get(NetworkFeed, peer_code)
    if row is None:
        row = NetworkFeed(peer_code=peer_code)
        session.add(row)
    row.body, row.key_id, row.generated_at = body, key_id, generated_at
    row.fetched_at = row.checked_at = at
    row.last_error = None


async def record_rejection(
    session: AsyncSession, peer_code: str, reason: str, at: datetime
) -> None:
    """The last good feed stays; only the failure is noted."""
    row = await session.get(NetworkFeed, peer_code)
    if row is None:
        row = NetworkFeed(peer_code=peer_code)
        session.add(row)
    row.checked_at, row.last_error = at, reason[:32]
