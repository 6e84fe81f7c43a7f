"""What the dashboard reads: SQL only (survey responses with their profile, labs, broadcasts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import LabStatus, ResponseStatus
from storage.models import (
    Announcement,
    Lab,
    LabRegistration,
    OutboxMessage,
    Resident,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
)


async def list_rounds(session: AsyncSession, code: str) -> list[int]:
    """The survey's round numbers, newest first."""
    rows = await session.execute(
        select(SurveyRound.number)
        .where(SurveyRound.survey_code == code)
        .order_by(SurveyRound.number.desc())
    )
    return list(rows.scalars())


async def completed_responses(
    session: AsyncSession, round_id: int
) -> dict[int, tuple[str | None, str | None]]:
    """Response id -> (municipality, age band) of the round's completed responses."""
    rows = await session.execute(
        select(SurveyResponse.id, SurveyResponse.municipality, SurveyResponse.age_band).where(
            SurveyResponse.round_id == round_id,
            SurveyResponse.status == ResponseStatus.COMPLETED,
        )
    )
    return {rid: (m, a) for rid, m, a in rows.all()}


async def completed_answer_rows(session: AsyncSession, round_id: int) -> list[tuple[int, str, Any]]:
    """(response id, question code, value) of the round's completed responses."""
    rows = await session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.question_code, SurveyAnswer.value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(
            SurveyResponse.round_id == round_id,
            SurveyResponse.status == ResponseStatus.COMPLETED,
        )
    )
    return [(rid, code, value) for rid, code, value in rows.all() if value is not None]


async def count_in_progress(session: AsyncSession, round_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                SurveyResponse.round_id == round_id,
                SurveyResponse.status == ResponseStatus.IN_PROGRESS,
            )
        )
        or 0
    )


async def published_labs(session: AsyncSession) -> list[Lab]:
    rows = await session.execute(
        select(Lab).where(Lab.status == LabStatus.PUBLISHED).order_by(Lab.starts_at)
    )
    return list(rows.unique().scalars())


async def registration_facts(
    session: AsyncSession, lab_ids: list[int]
) -> list[tuple[int, str, int, bool, int | None]]:
    """(lab id, status, seats, checked in, usefulness rating) of the labs' registrations."""
    if not lab_ids:
        return []
    rows = await session.execute(
        select(
            LabRegistration.lab_id,
            LabRegistration.status,
            LabRegistration.seats,
            LabRegistration.checked_in_at.is_not(None),
            LabRegistration.feedback_useful,
        ).where(LabRegistration.lab_id.in_(lab_ids))
    )
    return [(a, b, c, bool(d), e) for a, b, c, d, e in rows.all()]


async def recent_announcements(session: AsyncSession, limit: int) -> list[Announcement]:
    rows = await session.execute(
        select(Announcement)
        .where(Announcement.started_at.is_not(None))
        .order_by(Announcement.started_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def reach_by_language(
    session: AsyncSession, announcement_ids: list[int]
) -> list[tuple[int, str | None, str | None, str, int]]:
    """(announcement id, recipient's chosen language, Telegram's language code, outbox
    status, messages) of the broadcasts."""
    if not announcement_ids:
        return []
    rows = await session.execute(
        select(
            OutboxMessage.announcement_id,
            Resident.locale,
            Resident.language_code,
            OutboxMessage.status,
            func.count(),
        )
        .outerjoin(Resident, Resident.id == OutboxMessage.resident_id)
        .where(
            OutboxMessage.announcement_id.in_(announcement_ids),
            OutboxMessage.kind == "announcement",
        )
        .group_by(
            OutboxMessage.announcement_id,
            Resident.locale,
            Resident.language_code,
            OutboxMessage.status,
        )
    )
    return [(a, loc, code, s, int(n)) for a, loc, code, s, n in rows.all()]
