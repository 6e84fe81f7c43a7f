"""Reading the audit log (writes happen inside the services that act)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import audit as repo


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor_telegram_id: int | None
    action: str
    subject: str | None
    details: dict[str, Any] = field(default_factory=dict)


async def recent_entries(
    sessions: async_sessionmaker[AsyncSession], action: str | None = None, limit: int = 100
) -> list[AuditView]:
    async with sessions.begin() as session:
        return [
            AuditView(e.at, e.actor_telegram_id, e.action, e.subject, dict(e.details))
            for e in await repo.list_audit_entries(session, action, limit)
        ]
