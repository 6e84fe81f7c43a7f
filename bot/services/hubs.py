"""The town's hubs (MAGNET Hub Celje, MiniHub Prebold, and any a town adds)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Bilingual
from storage.repositories import audit as audit_repo
from storage.repositories import hubs as repo


@dataclass(frozen=True)
class HubView:
    code: str
    name_sl: str
    name_en: str
    address: str
    municipality: str

    def name(self, locale: str) -> str:
        return Bilingual(self.name_sl, self.name_en).get(locale)


class HubService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions

    async def list_hubs(self) -> list[HubView]:
        async with self._sessions.begin() as session:
            return [_view(h) for h in await repo.list_hubs(session)]

    async def get(self, code: str) -> HubView | None:
        async with self._sessions.begin() as session:
            hub = await repo.get_hub(session, code)
            return None if hub is None else _view(hub)

    async def set_address(self, code: str, address: str, actor_id: int | None = None) -> bool:
        async with self._sessions.begin() as session:
            hub = await repo.get_hub(session, code)
            if hub is None:
                return False
            old, hub.address = hub.address, address.strip()
            await audit_repo.add_audit_entry(
                session,
                "hub.address",
                actor_telegram_id=actor_id,
                subject=code,
                details={"old": old, "new": hub.address},
            )
            return True


def _view(hub) -> HubView:  # type: ignore[no-untyped-def]
    return HubView(hub.code, hub.name_sl, hub.name_en, hub.address, hub.municipality)
