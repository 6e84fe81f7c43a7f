"""A published lab straight in the database, for tests that start from one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.models import Hub, Lab

TITLES = {
    "celje": ("Dostopna stanovanja", "Affordable housing", "housing"),
    "prebold": ("Energetska skupnost Prebold", "Prebold energy community", "energy"),
}


async def insert_lab(
    sessions: Any,
    *,
    starts: datetime,
    hub: str = "celje",
    capacity: int | None = 2,
    reminders: tuple[int, ...] | list[int] = (1440, 120),
    guests: int = 0,
    deadline: datetime | None = None,
    author: int = 1,
) -> int:
    title_sl, title_en, topic = TITLES[hub]
    async with sessions.begin() as session:
        hub_id = (await session.execute(select(Hub.id).where(Hub.code == hub))).scalar_one()
        lab = Lab(
            author_telegram_id=author,
            author_locale="sl",
            status="published",
            hub_id=hub_id,
            topic=topic,
            title_sl=title_sl,
            title_en=title_en,
            description_sl="Opis delavnice.",
            description_en="About the lab.",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=capacity,
            deadline=deadline,
            reminder_minutes=list(reminders),
            guests=guests,
            version=1,
            seats_taken=0,
            next_ticket=0,
            reminders_done=[],
            alerts_sent=[],
            published_at=datetime.now(UTC),
        )
        session.add(lab)
        await session.flush()
        return lab.id
