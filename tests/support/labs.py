"""A published lab straight in the database, for tests that start from one; and sample views
with every notice the lab services queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.domain import LabStatus
from bot.i18n import Translator
from bot.services.labs import notices
from bot.services.labs.types import FeedbackSummary, LabView, RegistrationView
from bot.services.notice import Notice
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
    titles: tuple[str, str, str] | None = None,  # (sl, en, topic), for a hub of another town
) -> int:
    title_sl, title_en, topic = titles or TITLES[hub]
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


START = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)

LAB = LabView(
    id=7,
    status=LabStatus.PUBLISHED,
    step=None,
    author_telegram_id=1,
    author_locale="sl",
    hub_code="celje",
    hub_name_sl="MAGNET Hub Celje",
    hub_name_en="MAGNET Hub Celje",
    hub_address="3000 Celje",
    topic="housing",
    title_sl="Dostopna stanovanja",
    title_en="Affordable housing",
    description_sl="Pogovor.",
    description_en="A talk.",
    starts_at=START,
    ends_at=START + timedelta(hours=2),
    capacity=20,
    deadline=None,
    reminder_minutes=(1440, 120),
    guests=0,
    version=3,
    seats_taken=10,
)
REG = RegistrationView(
    id=42,
    lab_id=7,
    status="offered",
    seats=1,
    ticket=3,
    checkin_code="K7M2QX",
    offer_expires_at=START - timedelta(hours=1),
    show_name=False,
    checked_in_at=None,
    feedback_useful=None,
    feedback_again=None,
    feedback_at=None,
)


def every_notice(tr: Translator) -> list[Notice]:
    """One of each, in `tr`'s language."""
    summary = FeedbackSummary(6, {3: 4, 1: 2}, {3: 6}, ("Več takih!",))
    return [
        notices.offer(tr, LAB, REG),
        notices.offer_expired(tr, LAB),
        notices.reminder(tr, LAB, replace(REG, status="confirmed")),
        notices.cancelled(tr, LAB),
        notices.changed(tr, LAB),
        notices.feedback_request(tr, LAB, replace(REG, status="confirmed")),
        notices.fill_alert(tr, LAB, 50),
        notices.feedback_report(tr, LAB, summary, 5),
    ]
