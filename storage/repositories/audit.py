from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def add_audit_entry(
    session: AsyncSession,
    action: str,
    *,
    actor_telegram_id: int | None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            action=action,
            actor_telegram_id=actor_telegram_id,
            subject=subject,
            details=details or {},
        )
    )


async def list_audit_entries(
    session: AsyncSession, action: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list((await session.execute(query)).scalars())
