"""Who an announcement goes to: the values an audience offers, and its recipients."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import Bilingual
from bot.i18n import resolve_locale
from bot.numbers import parse_int
from bot.profile import Profile
from bot.services.announcements.types import (
    AnnouncementView,
    Audience,
    AudienceLab,
    Recipient,
    audience_values,
)
from storage.models import utcnow
from storage.repositories import announcements as repo

# Labs stay choosable as an audience this long after they end (for a follow-up).
LAB_AUDIENCE_AFTER = timedelta(days=14)


async def audience_labs(session: AsyncSession) -> list[AudienceLab]:
    rows = await repo.list_audience_labs(session, utcnow() - LAB_AUDIENCE_AFTER)
    return [AudienceLab(i, Bilingual(sl, en), at) for i, sl, en, at in rows]


async def allowed_values(
    session: AsyncSession, audience: Audience, town: Profile
) -> frozenset[str]:
    if audience == Audience.LAB:
        return frozenset(str(lab.id) for lab in await audience_labs(session))
    return audience_values(town).get(audience, frozenset())


async def recipients(
    session: AsyncSession,
    view: AnnouncementView,
    default_locale: str,
    languages: tuple[str, ...] = ("sl", "en"),
) -> list[Recipient]:
    values = list(view.audience_values)
    rows = await repo.list_recipients(
        session,
        municipalities=values if view.audience == Audience.MUNICIPALITY else None,
        topics=values if view.audience == Audience.TOPIC else None,
        lab_ids=[i for v in values if (i := parse_int(v)) is not None]
        if view.audience == Audience.LAB
        else None,
    )
    found = [
        Recipient(
            r.id,
            r.telegram_id,
            resolve_locale(r.locale, r.language_code, default_locale, languages),
        )
        for r in rows
    ]
    if view.audience == Audience.LANGUAGE:
        found = [r for r in found if r.locale in values]
    return found
