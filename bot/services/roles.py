"""Coordinator and staff roles, granted and revoked by admins, every change audit-logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import GRANTABLE_ROLES, Role
from storage.repositories import audit as audit_repo
from storage.repositories import roles as repo


class RoleChange(StrEnum):
    GRANTED = "granted"
    ALREADY_HELD = "already_held"
    REVOKED = "revoked"
    NOT_HELD = "not_held"


@dataclass(frozen=True)
class RoleGrantView:
    telegram_id: int
    role: Role
    granted_by: int | None
    granted_at: datetime


def parse_role(text: str) -> Role | None:
    """A grantable role from what an admin typed (English or Slovenian name)."""
    aliases = {
        "coordinator": Role.COORDINATOR,
        "koordinator": Role.COORDINATOR,
        "koordinatorka": Role.COORDINATOR,
        "staff": Role.STAFF,
        "osebje": Role.STAFF,
        "uslužbenec": Role.STAFF,
        "uslužbenka": Role.STAFF,
    }
    role = aliases.get(text.strip().lower())
    return role if role in GRANTABLE_ROLES else None


class RoleService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions

    async def grant(self, actor_id: int, telegram_id: int, role: Role) -> RoleChange:
        if role not in GRANTABLE_ROLES:
            raise ValueError(f"role {role} cannot be granted")
        async with self._sessions.begin() as session:
            if await repo.get_grant(session, telegram_id, role.value) is not None:
                return RoleChange.ALREADY_HELD
            await repo.add_grant(session, telegram_id, role.value, actor_id)
            await audit_repo.add_audit_entry(
                session,
                "role.grant",
                actor_telegram_id=actor_id,
                subject=str(telegram_id),
                details={"role": role.value},
            )
            return RoleChange.GRANTED

    async def revoke(self, actor_id: int, telegram_id: int, role: Role) -> RoleChange:
        async with self._sessions.begin() as session:
            if not await repo.delete_grant(session, telegram_id, role.value):
                return RoleChange.NOT_HELD
            await audit_repo.add_audit_entry(
                session,
                "role.revoke",
                actor_telegram_id=actor_id,
                subject=str(telegram_id),
                details={"role": role.value},
            )
            return RoleChange.REVOKED

    async def list_grants(self) -> list[RoleGrantView]:
        async with self._sessions.begin() as session:
            return [
                RoleGrantView(g.telegram_id, Role(g.role), g.granted_by, g.granted_at)
                for g in await repo.list_grants(session)
            ]
