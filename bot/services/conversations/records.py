"""The rows behind a conversation, read and shaped for the service: the resident, the
conversation, the participant (made on the first look), views and the next card."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import Bilingual
from bot.services.conversations.types import (
    Card,
    ConversationError,
    ConversationProblem,
    ConversationStatus,
    ConversationView,
    PendingStatement,
    StatementStatus,
)
from storage.models import Conversation, ConversationParticipant, ConversationStatement, Resident
from storage.repositories import conversations as repo
from storage.repositories import residents as residents_repo


async def resident(session: AsyncSession, telegram_id: int) -> Resident:
    resident = await residents_repo.get_resident(session, telegram_id)
    if resident is None:
        raise ConversationError(ConversationProblem.NOT_ONBOARDED)
    return resident


async def conversation(
    session: AsyncSession, conversation_id: int, lock: bool = False
) -> Conversation:
    conversation = await repo.get_conversation(session, conversation_id, lock=lock)
    if conversation is None:
        raise ConversationError(ConversationProblem.UNKNOWN, str(conversation_id))
    return conversation


def must_be_open(conversation: Conversation) -> None:
    if conversation.status != ConversationStatus.OPEN:
        raise ConversationError(ConversationProblem.CLOSED)


async def participant(
    session: AsyncSession, conversation_id: int, resident_id: int
) -> ConversationParticipant:
    participant = await repo.get_participant(session, conversation_id, resident_id)
    if participant is None:
        await repo.add_participant(session, secrets.token_hex(16), conversation_id, resident_id)
        participant = await repo.get_participant(session, conversation_id, resident_id)
    assert participant is not None
    return participant


def question_of(conversation: Conversation) -> Bilingual:
    return Bilingual(conversation.question_sl, conversation.question_en)


def pending_of(statement: ConversationStatement, conversation: Conversation) -> PendingStatement:
    text = statement.text_sl or statement.text_en or ""
    return PendingStatement(statement.id, conversation.id, question_of(conversation), text)


async def view_of(session: AsyncSession, conversation: Conversation) -> ConversationView:
    counts = await repo.count_statements(session, conversation.id)
    return ConversationView(
        id=conversation.id,
        question=question_of(conversation),
        status=ConversationStatus(conversation.status),
        opened_at=conversation.opened_at,
        statements=counts.get(StatementStatus.APPROVED, 0),
        pending=counts.get(StatementStatus.PENDING, 0),
        voters=await repo.count_voters(session, conversation.id),
        invited=conversation.invited_at is not None,
        results_sent=conversation.results_sent_at is not None,
    )


def order_key(participant: str, statement_id: int) -> str:
    """Each participant meets the statements in their own order (so no statement is always
    first), stable from one press to the next."""
    return hashlib.sha256(f"{participant}:{statement_id}".encode()).hexdigest()


async def card(session: AsyncSession, conversation: Conversation, participant: str) -> Card:
    statements = await repo.approved_statements(session, conversation.id)
    voted = await repo.voted_statement_ids(session, participant)
    unseen = sorted(
        (s for s in statements if s.id not in voted), key=lambda s: order_key(participant, s.id)
    )
    done = len(statements) - len(unseen)
    question = question_of(conversation)
    if not unseen:
        return Card(conversation.id, question, None, None, done, len(statements), done)
    statement = unseen[0]
    text = Bilingual(statement.text_sl, statement.text_en)
    return Card(conversation.id, question, statement.id, text, done + 1, len(statements), done)
