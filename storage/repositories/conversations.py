"""Conversations, their statements, participants and votes: SQL only, no commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Conversation,
    ConversationParticipant,
    ConversationStatement,
    ConversationVote,
    OutboxMessage,
)


async def get_conversation(
    session: AsyncSession, conversation_id: int, lock: bool = False
) -> Conversation | None:
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def latest_open(session: AsyncSession) -> Conversation | None:
    query = (
        select(Conversation)
        .where(Conversation.status == "open")
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_conversations(session: AsyncSession, limit: int = 10) -> Sequence[Conversation]:
    query = select(Conversation).order_by(Conversation.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


async def count_statements(session: AsyncSession, conversation_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(ConversationStatement.status, func.count())
        .where(ConversationStatement.conversation_id == conversation_id)
        .group_by(ConversationStatement.status)
    )
    return {status: count for status, count in rows.all()}


async def count_voters(session: AsyncSession, conversation_id: int) -> int:
    query = (
        select(func.count(func.distinct(ConversationVote.participant)))
        .join(ConversationParticipant, ConversationParticipant.id == ConversationVote.participant)
        .where(ConversationParticipant.conversation_id == conversation_id)
    )
    return int((await session.execute(query)).scalar_one())


async def approved_statements(
    session: AsyncSession, conversation_id: int
) -> Sequence[ConversationStatement]:
    query = (
        select(ConversationStatement)
        .where(
            ConversationStatement.conversation_id == conversation_id,
            ConversationStatement.status == "approved",
        )
        .order_by(ConversationStatement.id)
    )
    return (await session.execute(query)).scalars().all()


async def get_statement(
    session: AsyncSession, statement_id: int, lock: bool = False
) -> ConversationStatement | None:
    query = select(ConversationStatement).where(ConversationStatement.id == statement_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_participant(
    session: AsyncSession, conversation_id: int, resident_id: int
) -> ConversationParticipant | None:
    query = select(ConversationParticipant).where(
        ConversationParticipant.conversation_id == conversation_id,
        ConversationParticipant.resident_id == resident_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_participant_by_id(
    session: AsyncSession, participant: str
) -> ConversationParticipant | None:
    return await session.get(ConversationParticipant, participant)


async def voted_statement_ids(session: AsyncSession, participant: str) -> set[int]:
    query = select(ConversationVote.statement_id).where(ConversationVote.participant == participant)
    return set((await session.execute(query)).scalars())


async def add_vote(session: AsyncSession, participant: str, statement_id: int, value: int) -> bool:
    """False if this participant has voted on this statement already."""
    exists = await session.get(ConversationVote, (participant, statement_id))
    if exists is not None:
        return False
    try:
        # A savepoint: a second tap racing this one fails alone, not the whole transaction.
        async with session.begin_nested():
            session.add(
                ConversationVote(participant=participant, statement_id=statement_id, value=value)
            )
    except IntegrityError:
        return False
    return True


async def add_participant(
    session: AsyncSession, participant: str, conversation_id: int, resident_id: int
) -> bool:
    """False if the resident joined meanwhile (another tap, another replica)."""
    try:
        async with session.begin_nested():
            session.add(
                ConversationParticipant(
                    id=participant, conversation_id=conversation_id, resident_id=resident_id
                )
            )
    except IntegrityError:
        return False
    return True


async def count_pending_by(session: AsyncSession, participant: str) -> int:
    query = select(func.count()).where(
        ConversationStatement.author == participant, ConversationStatement.status == "pending"
    )
    return int((await session.execute(query)).scalar_one())


async def list_votes(session: AsyncSession, conversation_id: int) -> list[tuple[str, int, int]]:
    """Every vote of the conversation as (participant, statement id, value)."""
    query = (
        select(ConversationVote.participant, ConversationVote.statement_id, ConversationVote.value)
        .join(ConversationParticipant, ConversationParticipant.id == ConversationVote.participant)
        .where(ConversationParticipant.conversation_id == conversation_id)
    )
    return [(p, s, v) for p, s, v in (await session.execute(query)).all()]


async def linked_voters(session: AsyncSession, conversation_id: int) -> list[int]:
    """Resident ids of the participants still linked who voted at least once."""
    voted = select(ConversationVote.participant).distinct()
    query = select(ConversationParticipant.resident_id).where(
        ConversationParticipant.conversation_id == conversation_id,
        ConversationParticipant.resident_id.is_not(None),
        ConversationParticipant.id.in_(voted),
    )
    return [rid for rid in (await session.execute(query)).scalars() if rid is not None]


async def unlink_participants(session: AsyncSession, conversation_id: int) -> None:
    await session.execute(
        update(ConversationParticipant)
        .where(ConversationParticipant.conversation_id == conversation_id)
        .values(resident_id=None)
    )


async def list_linked(
    session: AsyncSession, resident_id: int
) -> list[tuple[Conversation, ConversationParticipant]]:
    query = (
        select(Conversation, ConversationParticipant)
        .join(ConversationParticipant, ConversationParticipant.conversation_id == Conversation.id)
        .where(ConversationParticipant.resident_id == resident_id)
        .order_by(Conversation.id)
    )
    return [(c, p) for c, p in (await session.execute(query)).all()]


async def votes_with_texts(
    session: AsyncSession, participant: str
) -> list[tuple[ConversationStatement, int]]:
    query = (
        select(ConversationStatement, ConversationVote.value)
        .join(ConversationVote, ConversationVote.statement_id == ConversationStatement.id)
        .where(ConversationVote.participant == participant)
        .order_by(ConversationStatement.id)
    )
    return [(s, v) for s, v in (await session.execute(query)).all()]


async def authored(session: AsyncSession, participant: str) -> Sequence[ConversationStatement]:
    query = select(ConversationStatement).where(ConversationStatement.author == participant)
    return (await session.execute(query)).scalars().all()


async def forget_resident(session: AsyncSession, resident_id: int) -> None:
    """The link goes: the votes and approved statements stay, belonging to nobody; statements
    still waiting for a coordinator (text the resident typed) are deleted."""
    participants = select(ConversationParticipant.id).where(
        ConversationParticipant.resident_id == resident_id
    )
    unapproved = (
        (
            await session.execute(
                select(ConversationStatement.id).where(
                    ConversationStatement.author.in_(participants),
                    ConversationStatement.status != "approved",
                )
            )
        )
        .scalars()
        .all()
    )
    for statement_id in unapproved:
        # The coordinators' copy of the text waiting in the outbox goes too.
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"convask:{statement_id}:%"))
        )
    await session.execute(
        delete(ConversationStatement).where(ConversationStatement.id.in_(unapproved))
    )
    await session.execute(
        update(ConversationParticipant)
        .where(ConversationParticipant.resident_id == resident_id)
        .values(resident_id=None)
    )


async def forget_actor(session: AsyncSession, telegram_id: int) -> None:
    for column in (Conversation.opened_by, Conversation.closed_by):
        await session.execute(
            update(Conversation).where(column == telegram_id).values({column.key: None})
        )
