"""Survey versions, rounds, responses and answers: SQL only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, Text, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import ResponseStatus
from storage.models import (
    SurveyAnswer,
    SurveyParticipation,
    SurveyResponse,
    SurveyRound,
    SurveyVersion,
    utcnow,
)
from storage.repositories.residents import _insert


async def get_version(session: AsyncSession, version_id: int) -> SurveyVersion | None:
    return await session.get(SurveyVersion, version_id)


async def latest_version(session: AsyncSession, code: str) -> SurveyVersion | None:
    query = (
        select(SurveyVersion)
        .where(SurveyVersion.survey_code == code)
        .order_by(SurveyVersion.version.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_version_if_new(
    session: AsyncSession, code: str, checksum: str, definition: dict[str, Any]
) -> None:
    """A definition not seen before becomes the next version (replicas may race: one wins)."""
    exists = await session.scalar(
        select(func.count()).where(
            SurveyVersion.survey_code == code, SurveyVersion.checksum == checksum
        )
    )
    if exists:
        return
    latest = await latest_version(session, code)
    stmt = (
        _insert(session)(SurveyVersion)
        .values(
            survey_code=code,
            version=(latest.version + 1) if latest else 1,
            checksum=checksum,
            definition=definition,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    await session.execute(stmt)


async def open_round(session: AsyncSession, code: str) -> SurveyRound | None:
    query = select(SurveyRound).where(SurveyRound.survey_code == code, SurveyRound.status == "open")
    return (await session.execute(query.order_by(SurveyRound.number.desc()))).scalars().first()


async def last_round(session: AsyncSession, code: str) -> SurveyRound | None:
    query = select(SurveyRound).where(SurveyRound.survey_code == code)
    return (await session.execute(query.order_by(SurveyRound.number.desc()))).scalars().first()


async def get_round(
    session: AsyncSession, code: str, number: int | None = None
) -> SurveyRound | None:
    """The survey's round of that number; without one, its latest."""
    query = select(SurveyRound).where(SurveyRound.survey_code == code)
    if number is not None:
        query = query.where(SurveyRound.number == number)
    return (await session.execute(query.order_by(SurveyRound.number.desc()))).scalars().first()


async def list_versions(session: AsyncSession, code: str) -> list[SurveyVersion]:
    """Every recorded definition of the survey, newest first."""
    query = select(SurveyVersion).where(SurveyVersion.survey_code == code)
    return list((await session.execute(query.order_by(SurveyVersion.version.desc()))).scalars())


async def response_by_hash(
    session: AsyncSession, round_id: int, dedupe_hash: str, *, lock: bool = False
) -> SurveyResponse | None:
    query = select(SurveyResponse).where(
        SurveyResponse.round_id == round_id, SurveyResponse.dedupe_hash == dedupe_hash
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def open_round_response(
    session: AsyncSession, round_id: int, dedupe_hash: str, *, lock: bool = False
) -> tuple[SurveyRound, SurveyResponse] | None:
    """Round `round_id` if it is still open, with the response of that hash in it, in one
    statement (a survey tap's two reads); None when either is missing."""
    query = (
        select(SurveyRound, SurveyResponse)
        .join(SurveyResponse, SurveyResponse.round_id == SurveyRound.id)
        .where(
            SurveyRound.id == round_id,
            SurveyRound.status == "open",
            SurveyResponse.dedupe_hash == dedupe_hash,
        )
    )
    if lock:
        query = query.with_for_update(of=SurveyResponse)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def has_participated(session: AsyncSession, round_id: int, dedupe_hash: str) -> bool:
    query = select(SurveyParticipation.round_id).where(
        SurveyParticipation.round_id == round_id, SurveyParticipation.dedupe_hash == dedupe_hash
    )
    return (await session.execute(query)).first() is not None


async def add_participation(session: AsyncSession, round_id: int, dedupe_hash: str) -> None:
    session.add(SurveyParticipation(round_id=round_id, dedupe_hash=dedupe_hash))


async def list_round_ids(session: AsyncSession) -> list[int]:
    return list((await session.execute(select(SurveyRound.id))).scalars())


async def delete_traces(session: AsyncSession, keys: dict[int, str]) -> list[int]:
    """Participation and unfinished responses found by these (round id -> hash) keys; the
    rounds in which one was found."""
    found = []
    for round_id, key in keys.items():
        gone = await session.execute(
            delete(SurveyParticipation).where(
                SurveyParticipation.round_id == round_id, SurveyParticipation.dedupe_hash == key
            )
        )
        unfinished = select(SurveyResponse.id).where(
            SurveyResponse.round_id == round_id, SurveyResponse.dedupe_hash == key
        )
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(unfinished)))
        dropped = await session.execute(
            delete(SurveyResponse).where(
                SurveyResponse.round_id == round_id, SurveyResponse.dedupe_hash == key
            )
        )
        if gone.rowcount or dropped.rowcount:
            found.append(round_id)
    return found


async def answers_of(session: AsyncSession, response_id: int) -> list[SurveyAnswer]:
    query = select(SurveyAnswer).where(SurveyAnswer.response_id == response_id)
    return list((await session.execute(query.order_by(SurveyAnswer.id))).scalars())


_UNREAD: Any = object()


async def put_answer(
    session: AsyncSession,
    response: SurveyResponse,
    question: str,
    value: Any,
    other_text: str | None = None,
    *,
    existing: SurveyAnswer | None = _UNREAD,
) -> SurveyAnswer:
    """Insert or update the answer; `existing` is its row when the caller has read the
    response's answers already (None: there is none), saving a query."""
    if existing is _UNREAD:
        existing = (
            await session.execute(
                select(SurveyAnswer).where(
                    SurveyAnswer.response_id == response.id, SurveyAnswer.question_code == question
                )
            )
        ).scalar_one_or_none()
    if existing is None:
        existing = SurveyAnswer(
            response_id=response.id,
            version_id=response.version_id,
            question_code=question,
            value=value,
            other_text=other_text,
            answered_at=utcnow(),
        )
        session.add(existing)
    else:
        existing.value, existing.other_text = value, other_text
        existing.version_id, existing.answered_at = response.version_id, utcnow()
    await session.flush()
    return existing


async def delete_answers(session: AsyncSession, response_id: int, questions: list[str]) -> None:
    if questions:
        await session.execute(
            delete(SurveyAnswer).where(
                SurveyAnswer.response_id == response_id,
                SurveyAnswer.question_code.in_(questions),
            )
        )


async def count_by_status(session: AsyncSession, round_id: int) -> dict[str, int]:
    query = (
        select(SurveyResponse.status, func.count())
        .where(SurveyResponse.round_id == round_id)
        .group_by(SurveyResponse.status)
    )
    return {status: count for status, count in (await session.execute(query)).all()}


# Core, not the ORM, for exports: plain rows are several times cheaper for big rounds.


async def completed_after(
    session: AsyncSession, round_id: int, after_id: int, limit: int
) -> Sequence[Row[Any]]:
    """The round's next `limit` completed responses with an id above `after_id`, by id."""
    connection = await session.connection()
    query = (
        select(
            SurveyResponse.id,
            SurveyResponse.version_id,
            SurveyResponse.completed_at,
            SurveyResponse.municipality,
            SurveyResponse.age_band,
            SurveyResponse.resident_status,
        )
        .where(
            SurveyResponse.round_id == round_id,
            SurveyResponse.status == ResponseStatus.COMPLETED,
            SurveyResponse.id > after_id,
        )
        .order_by(SurveyResponse.id)
        .limit(limit)
    )
    return (await connection.execute(query)).all()


async def raw_answers(
    session: AsyncSession, response_ids: list[int]
) -> Sequence[Row[tuple[int, str, Any, str | None]]]:
    """(response id, question code, value as stored JSON text, other text) of the responses.
    A cast in SQL, not only in Python: asyncpg would otherwise decode the JSON itself, and a
    decoded string cannot be told from JSON text."""
    connection = await session.connection()
    query = select(
        SurveyAnswer.response_id,
        SurveyAnswer.question_code,
        cast(SurveyAnswer.value, Text),
        SurveyAnswer.other_text,
    ).where(SurveyAnswer.response_id.in_(response_ids))
    return (await connection.execute(query)).all()


async def stream_completed_rows(
    session: AsyncSession, round_id: int, batch: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The round's completed responses by id, in batches, each as one plain row: (version
    id, completion date as text, municipality, age band, status, its answers as JSON text
    of [question code, value as stored JSON text, other text] triples).

    One query, the answers gathered in SQL, streamed (a server-side cursor on PostgreSQL):
    a row per response rather than per answer, and no ORM object on the way."""
    answer = SurveyAnswer.__table__.c
    if session.bind.dialect.name == "postgresql":
        triple = func.json_build_array(
            answer.question_code, cast(answer.value, Text), answer.other_text
        )
        gathered = func.json_agg(triple)
    else:
        triple = func.json_array(answer.question_code, cast(answer.value, Text), answer.other_text)
        gathered = func.json_group_array(triple)
    answers = (
        select(cast(gathered, Text))
        .where(answer.response_id == SurveyResponse.id)
        .scalar_subquery()
    )
    query = (
        select(
            SurveyResponse.version_id,
            func.substr(cast(SurveyResponse.completed_at, Text), 1, 10),
            SurveyResponse.municipality,
            SurveyResponse.age_band,
            SurveyResponse.resident_status,
            answers,
        )
        .where(
            SurveyResponse.round_id == round_id,
            SurveyResponse.status == ResponseStatus.COMPLETED,
        )
        .order_by(SurveyResponse.id)
        .execution_options(yield_per=batch)
    )
    connection = await session.connection()
    result = await connection.stream(query)
    async for rows in result.partitions(batch):
        yield rows
