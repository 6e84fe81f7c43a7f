"""A resident's draft of something coordinators moderate (an idea, a story): one draft per
author, written step by step, kept in the database so a restart loses nothing.

Ideas and stories differ in their steps and in what they do on submission; what they share
is here: the author's draft found (or made), a press or text for a draft that has moved on
refused as stale, and discarding it. Modeled on the announcements' drafts
(`bot.services.announcements.drafts`), which keep the same rules for coordinators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.codec import awaiting
from storage.models import Resident
from storage.repositories import residents as residents_repo


class Draft(Protocol):
    id: int
    step: str | None


M = TypeVar("M", bound=Draft)
V = TypeVar("V")


@dataclass(frozen=True)
class DraftKind(Generic[M, V]):
    """How one feature keeps its drafts."""

    get_draft: Callable[..., Awaitable[M | None]]  # (session, author id, lock=) -> the draft
    to_view: Callable[[M], V]
    awaiting: str  # what the resident's next text is for, while a draft is open
    stale: Callable[[str], Exception]  # the feature's error for a draft that has moved on
    unknown: Callable[[], Exception]  # the feature's error for someone who is not a resident


class ModeratedDrafts(Generic[M, V]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], kind: DraftKind[M, V]):
        self._sessions = sessions
        self._kind = kind

    async def resident(self, session: AsyncSession, telegram_id: int) -> Resident:
        resident = await residents_repo.get_resident(session, telegram_id)
        if resident is None:
            raise self._kind.unknown()
        return resident

    async def start(self, telegram_id: int, new: Callable[[Resident], M]) -> tuple[V, bool]:
        """The resident's draft, or `new(resident)` (True when new); their text goes to it now."""
        async with self._sessions.begin() as session:
            resident = await self.resident(session, telegram_id)
            draft = await self._kind.get_draft(session, resident.id, lock=True)
            made = draft is None
            if draft is None:
                draft = new(resident)
                session.add(draft)
                await session.flush()
            resident.awaiting = awaiting(self._kind.awaiting, draft.id)
            return self._kind.to_view(draft), made

    async def draft(self, telegram_id: int) -> V | None:
        async with self._sessions() as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            draft = await self._kind.get_draft(session, resident.id) if resident else None
            return self._kind.to_view(draft) if draft else None

    @asynccontextmanager
    async def at(
        self, telegram_id: int, draft_id: int, *steps: Any
    ) -> AsyncIterator[tuple[AsyncSession, M]]:
        """The author's draft, locked in a transaction, if it is this one and waits at one of
        `steps` (or at any)."""
        async with self._sessions.begin() as session:
            resident = await self.resident(session, telegram_id)
            draft = await self._kind.get_draft(session, resident.id, lock=True)
            if draft is None or draft.id != draft_id or (steps and draft.step not in steps):
                raise self._kind.stale(f"draft {draft_id} is not at {steps}")
            yield session, draft

    async def discard(self, telegram_id: int, draft_id: int) -> None:
        async with self.at(telegram_id, draft_id) as (session, draft):
            await session.delete(draft)
            await residents_repo.update_resident(session, telegram_id, awaiting=None)
