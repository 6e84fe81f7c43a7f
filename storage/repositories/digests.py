"""What the coordinators' digests read (completed answers, recent labs) and the log of digests
sent: SQL only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import LabStatus, RegistrationStatus, ResponseStatus
from storage.models import Digest, Lab, LabRegistration, SurveyAnswer, SurveyResponse

IDEAS_SHOWN = 10


async def last_digest(
    session: AsyncSession, survey_code: str, round_number: int | None = None
) -> Digest | None:
    """The latest digest of the survey (of that round, if given)."""
    query = select(Digest).where(Digest.survey_code == survey_code)
    if round_number is not None:
        query = query.where(Digest.round_number == round_number)
    return (await session.execute(query.order_by(Digest.id.desc()).limit(1))).scalar_one_or_none()


async def add_digest(
    session: AsyncSession,
    *,
    at: datetime,
    trigger: str,
    survey_code: str,
    round_number: int,
    completed: int,
    partial: int,
) -> Digest:
    digest = Digest(
        at=at,
        trigger=trigger,
        survey_code=survey_code,
        round_number=round_number,
        completed=completed,
        partial=partial,
    )
    session.add(digest)
    await session.flush()
    return digest


def _completed(round_id: int) -> tuple[Any, ...]:
    return (SurveyResponse.round_id == round_id, SurveyResponse.status == ResponseStatus.COMPLETED)


async def completed_answers(session: AsyncSession, round_id: int) -> dict[str, list[Any]]:
    """Question code -> the values given in the round's completed responses."""
    rows = await session.execute(
        select(SurveyAnswer.question_code, SurveyAnswer.value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(*_completed(round_id))
    )
    found: dict[str, list[Any]] = {}
    for code, value in rows.all():
        if value is not None:
            found.setdefault(code, []).append(value)
    return found


async def completed_profiles(
    session: AsyncSession, round_id: int
) -> list[tuple[str | None, str | None]]:
    """(municipality, age band) of each completed response of the round."""
    rows = await session.execute(
        select(SurveyResponse.municipality, SurveyResponse.age_band).where(*_completed(round_id))
    )
    return [(m, a) for m, a in rows.all()]


async def shared_ideas(session: AsyncSession, round_id: int) -> list[Any]:
    """The newest ideas of the round whose authors agreed to share them."""
    consent = await session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(*_completed(round_id), SurveyAnswer.question_code == "share_idea")
    )
    shared = [rid for rid, value in consent.all() if value == "yes"]
    if not shared:
        return []
    rows = await session.execute(
        select(SurveyAnswer.value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.question_code == "idea", SurveyAnswer.response_id.in_(shared))
        .order_by(SurveyResponse.completed_at.desc(), SurveyResponse.id.desc())
        .limit(IDEAS_SHOWN)
    )
    return list(rows.scalars())


async def ended_labs(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[Lab, Sequence[LabRegistration]]]:
    """Published labs that ended in (since, until], by start, with their confirmed seats."""
    labs = (
        await session.execute(
            select(Lab)
            .where(Lab.status == LabStatus.PUBLISHED, Lab.ends_at <= until, Lab.ends_at > since)
            .order_by(Lab.starts_at)
        )
    ).unique()
    found = []
    for lab in list(labs.scalars()):
        registrations = await session.execute(
            select(LabRegistration).where(
                LabRegistration.lab_id == lab.id,
                LabRegistration.status == RegistrationStatus.CONFIRMED,
            )
        )
        found.append((lab, registrations.scalars().all()))
    return found
