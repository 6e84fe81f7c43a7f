"""Residents who finished onboarding, put straight into the database for tests that start
from them (onboarding itself has its own tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert

from bot.domain import Step
from bot.emulator import BotAPIEmulator
from storage.models import Resident, utcnow


async def insert_residents(
    sessions: Any,
    emulator: BotAPIEmulator,
    ids: Iterable[int],
    *,
    language: Callable[[int], str] = lambda _: "sl",
    locale: str | None = None,
) -> list[int]:
    """Many residents at once, by bulk INSERT (for benchmarks); known to the emulator too."""
    now = utcnow()
    rows = [
        {
            "telegram_id": i,
            "locale": locale,
            "language_code": language(i),
            "consent_version": 1,
            "consented_at": now,
            "municipality": "celje",
            "age_band": "18_24",
            "status": "student",
            "onboarding_step": "done",
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in ids
    ]
    async with sessions.begin() as session:
        for start in range(0, len(rows), 1000):
            await session.execute(insert(Resident), rows[start : start + 1000])
    for row in rows:
        emulator.add_user(row["telegram_id"], f"R{row['telegram_id']}", row["language_code"])
    return [row["telegram_id"] for row in rows]


async def onboard_through_services(
    services: Any, emulator: BotAPIEmulator, ids: Iterable[int], *, status: str = "employed"
) -> None:
    """Residents through the same service calls the onboarding screens make."""
    residents = services.residents
    for user_id in ids:
        emulator.add_user(user_id, f"R{user_id}", "sl")
        await residents.touch(user_id)
        await residents.accept_consent(user_id, "sl" if user_id % 3 else "en")
        for step, code in (
            (Step.MUNICIPALITY, "celje"),
            (Step.AGE_BAND, "18_24"),
            (Step.STATUS, status),
        ):
            await residents.answer(user_id, step, code)
        await residents.finish_topics(user_id)
