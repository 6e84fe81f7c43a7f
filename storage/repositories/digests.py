"""What the coordinators' digests read (completed answers, recent labs) and the log of digests
sent: SQL only."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import LabStatus, RegistrationStatus, ResponseStatus
from storage.models import (
    Digest,
    Lab,
    LabRegistration,
    SurveyAnswer,
    SurveyFunnel,
    SurveyResponse,
    SurveyRound,
)

IDEAS_SHOWN = 10


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    # Each dialect's module is imported by the engine that uses it; importing PostgreSQL's
    # here would cost a SQLite bot a tenth of a second at start.
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


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


@dataclass(frozen=True)
class Answered:
    """One completed response, as the decision views read it: the profile copied at
    submission and the answers, with nothing that says who gave them."""

    version_id: int
    municipality: str | None
    age_band: str | None
    resident_status: str | None
    answers: dict[str, Any]


async def completed_responses(
    session: AsyncSession, round_id: int, questions: Collection[str] | None = None
) -> list[Answered]:
    """Every completed response of the round, in no telling order; with `questions`, only
    the answers to those (the rest are never read).

    One row per response, its answers gathered into one JSON object by the database and
    decoded here in one call: a round is some 15 answers a response, and a row (and a JSON
    decode) per answer was most of the time the survey page took."""
    answers = select(SurveyAnswer.response_id, SurveyAnswer.question_code, SurveyAnswer.value)
    if questions is not None:
        answers = answers.where(SurveyAnswer.question_code.in_(sorted(questions)))
    given = answers.subquery()
    if session.bind.dialect.name == "postgresql":
        gathered = func.json_object_agg(given.c.question_code, given.c.value)
    else:  # SQLite: json() keeps a stored JSON text (or number) a value, not a string
        gathered = func.json_group_object(given.c.question_code, func.json(given.c.value))
    query = (
        select(
            SurveyResponse.version_id,
            SurveyResponse.municipality,
            SurveyResponse.age_band,
            SurveyResponse.resident_status,
            cast(gathered.filter(given.c.question_code.is_not(None)), Text),
        )
        .outerjoin(given, given.c.response_id == SurveyResponse.id)
        .where(*_completed(round_id))
        .group_by(SurveyResponse.id)
    )
    connection = await session.connection()
    found = []
    for version, municipality, band, status, text in (await connection.execute(query)).all():
        given_answers = json.loads(text) if text else {}
        kept = {code: v for code, v in given_answers.items() if v is not None}
        found.append(Answered(version, municipality, band, status, kept))
    return found


async def round_state(session: AsyncSession, round_id: int) -> tuple[int, int, str | None]:
    """What changes whenever the round's completed responses do: their number, the sum of
    their ids and the latest completion (a response completing, or one erased by /forget,
    moves at least one; answers of a completed response are never changed)."""
    count, ids, latest = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(SurveyResponse.id), 0),
                func.max(SurveyResponse.completed_at),
            ).where(*_completed(round_id))
        )
    ).one()
    return int(count), int(ids), None if latest is None else str(latest)


async def previous_round(session: AsyncSession, code: str, number: int) -> SurveyRound | None:
    """The round before round `number` of the survey."""
    query = select(SurveyRound).where(SurveyRound.survey_code == code, SurveyRound.number < number)
    return (await session.execute(query.order_by(SurveyRound.number.desc()))).scalars().first()


async def list_rounds(session: AsyncSession, code: str) -> list[SurveyRound]:
    query = select(SurveyRound).where(SurveyRound.survey_code == code)
    return list((await session.execute(query.order_by(SurveyRound.number))).scalars())


async def funnel(session: AsyncSession, round_id: int) -> tuple[int, int]:
    """(suggested a lab, signed up from the suggestion) in the round."""
    row = await session.get(SurveyFunnel, round_id)
    return (row.suggested, row.signed_up) if row is not None else (0, 0)


async def count_in_funnel(session: AsyncSession, round_id: int, step: str) -> None:
    """One more respondent at `step` ("suggested" or "signed_up") of the round's funnel."""
    await session.execute(
        _insert(session)(SurveyFunnel)
        .values(round_id=round_id, suggested=0, signed_up=0)
        .on_conflict_do_nothing()
    )
    column = getattr(SurveyFunnel, step)
    await session.execute(
        update(SurveyFunnel)
        .where(SurveyFunnel.round_id == round_id)
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )


async def round_versions(session: AsyncSession, round_id: int) -> list[int]:
    """The survey versions the round's completed responses were given to, newest first."""
    rows = await session.execute(
        select(SurveyResponse.version_id, func.count())
        .where(*_completed(round_id))
        .group_by(SurveyResponse.version_id)
        .order_by(SurveyResponse.version_id.desc())
    )
    return [v for v, _ in rows.all()]


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
