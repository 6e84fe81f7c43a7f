"""The town's hubs (MAGNET Hub Celje, MiniHub Prebold, and any a town adds)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Bilingual
from bot.profile import HubEntry, Profile, pick
from storage.db import reading
from storage.models import Hub
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
        async with reading(self._sessions) as session:
            return [_view(h) for h in await repo.list_hubs(session)]

    async def get(self, code: str) -> HubView | None:
        async with reading(self._sessions) as session:
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

    async def differences(self, town: Profile) -> list[str]:
        """What `apply` would change, changing nothing: one line per hub ("add mill",
        "update celje: address", "remove prebold"); hubs labs were held at are left out,
        since apply keeps them."""
        found_lines: list[str] = []
        async with self._sessions() as session:
            found = {h.code: h for h in await repo.list_hubs(session)}
            for entry in town.hubs:
                hub = found.get(entry.code)
                if hub is None:
                    found_lines.append(f"add {entry.code}")
                    continue
                wanted = _wanted(entry)
                changed = sorted(k for k in wanted if getattr(hub, k) != wanted[k])
                if changed:
                    found_lines.append(f"update {entry.code}: {', '.join(changed)}")
            listed = {entry.code for entry in town.hubs}
            for code, hub in found.items():
                if code not in listed and not await repo.hub_in_use(session, hub.id):
                    found_lines.append(f"remove {code}")
        return found_lines

    async def apply(self, town: Profile, actor: str | None = None) -> list[str]:
        """Bring the hubs in line with the profile, by code; one line per change, each
        audit-logged. A hub the profile no longer lists is removed, unless labs point at it:
        then it is kept, and named."""
        changes: list[str] = []
        async with self._sessions.begin() as session:
            found = {h.code: h for h in await repo.list_hubs(session)}
            for entry in town.hubs:
                wanted = _wanted(entry)
                hub = found.get(entry.code)
                if hub is None:
                    session.add(Hub(code=entry.code, **wanted))
                    changes.append(f"added {entry.code}")
                    details: dict[str, object] = {"new": wanted}
                else:
                    old = {k: getattr(hub, k) for k in wanted if getattr(hub, k) != wanted[k]}
                    if not old:
                        continue
                    for key in old:
                        setattr(hub, key, wanted[key])
                    changes.append(f"updated {entry.code}: {', '.join(sorted(old))}")
                    details = {"old": old, "new": {k: wanted[k] for k in old}}
                await audit_repo.add_audit_entry(
                    session,
                    "hub.profile",
                    actor_telegram_id=None,
                    subject=entry.code,
                    details={**details, "by": actor},
                )
            listed = {entry.code for entry in town.hubs}
            for code, hub in found.items():
                if code in listed:
                    continue
                if await repo.hub_in_use(session, hub.id):
                    changes.append(f"kept {code}: not in the profile, but labs are held there")
                    continue
                await session.delete(hub)
                changes.append(f"removed {code}")
                await audit_repo.add_audit_entry(
                    session,
                    "hub.profile",
                    actor_telegram_id=None,
                    subject=code,
                    details={"removed": True, "by": actor},
                )
        return changes


def _wanted(entry: HubEntry) -> dict[str, str]:
    return {
        "name_sl": pick(entry.name, "sl"),
        "name_en": pick(entry.name, "en"),
        "address": entry.address,
        "municipality": entry.municipality,
    }


def report_differences(differences: list[str]) -> str | None:
    """The one log line when the database's hubs differ from the profile, or None."""
    if not differences:
        return None
    return (
        "hubs differ from the profile: "
        + "; ".join(differences)
        + " (run `magnet-bot profile apply` if the profile is meant)"
    )


def _view(hub) -> HubView:  # type: ignore[no-untyped-def]
    return HubView(hub.code, hub.name_sl, hub.name_en, hub.address, hub.municipality)
