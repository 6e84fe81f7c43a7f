"""Staff tokens for the HTTP export endpoints: shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import StaffToken
from storage.repositories import audit as audit_repo
from storage.repositories import tokens as repo

PREFIX = "mgt_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions

    async def create(self, name: str) -> tuple[int, str]:
        """A new token; the plain token is returned once and never stored."""
        token = PREFIX + secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            row = await repo.add_token(session, name[:64], _digest(token))
            await audit_repo.add_audit_entry(
                session,
                "token.create",
                actor_telegram_id=None,
                subject=str(row.id),
                details={"name": row.name},
            )
            return row.id, token

    async def list(self) -> list[TokenView]:
        async with self._sessions() as session:
            return [
                TokenView(t.id, t.name, t.created_at, t.revoked_at, t.last_used_at)
                for t in await repo.list_tokens(session)
            ]

    async def revoke(self, token_id: int) -> bool:
        async with self._sessions.begin() as session:
            revoked = await repo.revoke_token(session, token_id, datetime.now(UTC))
            if revoked:
                await audit_repo.add_audit_entry(
                    session, "token.revoke", actor_telegram_id=None, subject=str(token_id)
                )
            return revoked

    async def verify(self, token: str | None) -> str | None:
        """The token's name if it is valid and not revoked."""
        found = await self.check(token)
        return found.name if found is not None else None

    async def check(self, token: str | None) -> TokenView | None:
        """The token if it is valid and not revoked. Only hashes are compared, so the time
        taken says nothing about how much of a guess was right."""
        if not token or not token.startswith(PREFIX) or len(token) > 200:
            return None
        digest = _digest(token)
        async with self._sessions.begin() as session:
            row = await repo.get_token_by_hash(session, digest)
            if row is None or row.revoked_at is not None:
                return None
            if not secrets.compare_digest(row.token_hash, digest):
                return None
            row.last_used_at = datetime.now(UTC)
            return TokenView(row.id, row.name, row.created_at, row.revoked_at, row.last_used_at)

    async def active(self, token_id: int) -> TokenView | None:
        """The token of that id, unless it was revoked (a dashboard session rests on it)."""
        async with self._sessions() as session:
            row = await session.get(StaffToken, token_id)
            if row is None or row.revoked_at is not None:
                return None
            return TokenView(row.id, row.name, row.created_at, row.revoked_at, row.last_used_at)
