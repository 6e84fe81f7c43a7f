"""Conversations: coordinators open one on a question with seed statements; residents vote
on one statement at a time under a random participant id and may add their own (moderated);
the opinion groups are found off the event loop; closing sends everyone who voted the result
and cuts the link between residents and their votes."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Bilingual, Role
from bot.i18n import I18n
from bot.services.conversations import notices, records
from bot.services.conversations.clustering import Opinions, VoteMatrix, find_opinion_groups
from bot.services.conversations.export import ConversationExport, conversation_export
from bot.services.conversations.seeds import STATEMENT_MAX, Seed
from bot.services.conversations.types import (
    Card,
    ConversationError,
    ConversationProblem,
    ConversationStatus,
    ConversationView,
    Moderation,
    PendingStatement,
    StatementStatus,
)
from storage.models import (
    Conversation,
    ConversationStatement,
    Resident,
    utcnow,
)
from storage.repositories import audit as audit_repo
from storage.repositories import conversations as repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import residents as residents_repo
from storage.repositories import roles as roles_repo

log = logging.getLogger(__name__)

STATEMENT_MIN = 10
# A resident may have this many statements waiting for a coordinator at once.
PENDING_MAX = 3


@dataclass(frozen=True)
class ConversationConfig:
    min_group_size: int = 5
    min_voters: int = 30  # opinion groups are looked for once this many people voted
    coordinator_chat_id: int | None = None
    admin_ids: frozenset[int] = frozenset()
    locale: str = "sl"  # the coordinators' group's language


@dataclass(frozen=True)
class Analysis:
    conversation: ConversationView
    opinions: Opinions
    texts: dict[int, Bilingual]
    k: int
    grouped: bool  # enough voters to look for groups


class ConversationService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        config: ConversationConfig,
    ):
        self._sessions = sessions
        self._i18n = i18n
        self.config = config

    # ---- coordinators ----------------------------------------------------------------------

    async def open(self, actor: int | None, seed: Seed) -> ConversationView:
        """A new open conversation; `actor` None when opened from the command line."""
        async with self._sessions.begin() as session:
            conversation = Conversation(
                question_sl=seed.question.sl,
                question_en=seed.question.en,
                status=ConversationStatus.OPEN,
                opened_by=actor,
            )
            session.add(conversation)
            await session.flush()
            for text in seed.statements:
                session.add(
                    ConversationStatement(
                        conversation_id=conversation.id,
                        text_sl=text.sl,
                        text_en=text.en,
                        status=StatementStatus.APPROVED,
                    )
                )
            await audit_repo.add_audit_entry(
                session,
                "conversation.open",
                actor_telegram_id=actor,
                subject=str(conversation.id),
                details={"statements": len(seed.statements)},
            )
            await session.flush()
            return await records.view_of(session, conversation)

    async def states(self) -> list[ConversationView]:
        async with self._sessions() as session:
            return [
                await records.view_of(session, c) for c in await repo.list_conversations(session)
            ]

    async def view(self, conversation_id: int) -> ConversationView:
        async with self._sessions() as session:
            return await records.view_of(
                session, await records.conversation(session, conversation_id)
            )

    async def is_coordinator(self, telegram_id: int) -> bool:
        if telegram_id in self.config.admin_ids:
            return True
        async with self._sessions() as session:
            roles = set(await roles_repo.list_roles_of(session, telegram_id))
        return bool(roles & {Role.COORDINATOR.value, Role.ADMIN.value})

    async def invite(self, actor: int, conversation_id: int) -> int:
        """Every reachable resident, once, through the outbox (quiet hours apply)."""
        async with self._sessions.begin() as session:
            conversation = await records.conversation(session, conversation_id, lock=True)
            records.must_be_open(conversation)
            if conversation.invited_at is not None:
                raise ConversationError(ConversationProblem.ALREADY_INVITED)
            conversation.invited_at = now = utcnow()
            question = records.question_of(conversation)
            rows = []
            for resident in await residents_repo.reachable_residents(session):
                tr = self._i18n.resolve(resident.locale, resident.language_code)
                notice = notices.invitation(tr, conversation.id, question)
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"convinv:{conversation.id}:{resident.id}",
                        kind="conversation_invite",
                        resident_id=resident.id,
                        chat_id=resident.telegram_id,
                        text=notice.text,
                        reply_markup=notice.reply_markup,
                        now=now,
                    )
                )
            count = await outbox_repo.add_outbox_messages(session, rows)
            await audit_repo.add_audit_entry(
                session,
                "conversation.invite",
                actor_telegram_id=actor,
                subject=str(conversation.id),
                details={"invited": count},
            )
            return count

    async def moderate(self, actor: int, statement_id: int, approve: bool) -> Moderation:
        """Approve (into the pool) or reject a resident's statement; its author hears which."""
        async with self._sessions.begin() as session:
            statement = await repo.get_statement(session, statement_id, lock=True)
            if statement is None:
                raise ConversationError(ConversationProblem.UNKNOWN, str(statement_id))
            if statement.status != StatementStatus.PENDING:
                raise ConversationError(
                    ConversationProblem.ALREADY_MODERATED,
                    count=int(statement.status == StatementStatus.APPROVED),
                )
            conversation = await records.conversation(session, statement.conversation_id)
            records.must_be_open(conversation)
            statement.status = StatementStatus.APPROVED if approve else StatementStatus.REJECTED
            statement.moderated_at = now = utcnow()
            pending = records.pending_of(statement, conversation)
            if statement.author is not None:
                participant = await repo.get_participant_by_id(session, statement.author)
                if approve:
                    # As in Polis, the author agrees with what they wrote.
                    await repo.add_vote(session, statement.author, statement.id, 1)
                if participant is not None and participant.resident_id is not None:
                    await self._tell_author(session, participant.resident_id, pending, approve, now)
            await audit_repo.add_audit_entry(
                session,
                "conversation.approve" if approve else "conversation.reject",
                actor_telegram_id=actor,
                subject=f"{conversation.id}:{statement.id}",
            )
            return Moderation(pending, approve)

    async def _tell_author(
        self,
        session: AsyncSession,
        resident_id: int,
        pending: PendingStatement,
        approved: bool,
        now: Any,
    ) -> None:
        resident = await session.get(Resident, resident_id)
        if resident is None:
            return
        tr = self._i18n.resolve(resident.locale, resident.language_code)
        notice = notices.moderated(tr, pending, approved)
        row = outbox_repo.outbox_row(
            key=f"convmod:{pending.id}",
            kind="conversation_moderated",
            resident_id=resident.id,
            chat_id=resident.telegram_id,
            text=notice.text,
            reply_markup=notice.reply_markup,
            now=now,
        )
        await outbox_repo.add_outbox_messages(session, [row])

    async def analyse(self, conversation_id: int, require_voters: bool = True) -> Analysis:
        """The opinion groups, computed in a worker thread (numpy and scikit-learn)."""
        async with self._sessions() as session:
            conversation = await records.conversation(session, conversation_id)
            view = await records.view_of(session, conversation)
            statements = await repo.approved_statements(session, conversation_id)
            votes = await repo.list_votes(session, conversation_id)
        grouped = view.voters >= self.config.min_voters
        if require_voters and not grouped:
            raise ConversationError(
                ConversationProblem.TOO_FEW_VOTERS,
                count=view.voters,
                needed=self.config.min_voters,
            )
        ids = [s.id for s in statements]
        k = self.config.min_group_size
        opinions = await asyncio.to_thread(_compute, votes, ids, k, grouped)
        texts = {s.id: Bilingual(s.text_sl, s.text_en) for s in statements}
        return Analysis(view, opinions, texts, k, grouped)

    async def close(self, actor: int, conversation_id: int) -> tuple[ConversationView, int]:
        """Close, send the result to everyone who voted and the report to the coordinators,
        then cut the residents' links to their votes. Returns the view and the voters told."""
        async with self._sessions.begin() as session:
            conversation = await records.conversation(session, conversation_id, lock=True)
            if conversation.results_sent_at is not None:
                raise ConversationError(ConversationProblem.CLOSED)
            if conversation.status == ConversationStatus.OPEN:
                conversation.status = ConversationStatus.CLOSED
                conversation.closed_at, conversation.closed_by = utcnow(), actor
                await audit_repo.add_audit_entry(
                    session,
                    "conversation.close",
                    actor_telegram_id=actor,
                    subject=str(conversation_id),
                )
            # Nobody may keep waiting to type a statement for a closed conversation.
        analysis = await self.analyse(conversation_id, require_voters=False)
        chart = await asyncio.to_thread(_chart, self._i18n, self.config.locale, analysis)
        async with self._sessions.begin() as session:
            conversation = await records.conversation(session, conversation_id, lock=True)
            if conversation.results_sent_at is not None:
                raise ConversationError(ConversationProblem.CLOSED)
            now = utcnow()
            rows = []
            for resident_id in await repo.linked_voters(session, conversation_id):
                resident = await session.get(Resident, resident_id)
                if resident is None or not resident.is_active:
                    continue
                tr = self._i18n.resolve(resident.locale, resident.language_code)
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"convres:{conversation_id}:{resident.id}",
                        kind="conversation_result",
                        resident_id=resident.id,
                        chat_id=resident.telegram_id,
                        text=notices.result(tr, analysis),
                        now=now,
                    )
                )
            told = await outbox_repo.add_outbox_messages(session, rows)
            for chat_id in await self._coordinator_chats(session):
                tr = self._i18n.get(self.config.locale)
                await outbox_repo.add_outbox_messages(
                    session,
                    [
                        outbox_repo.outbox_row(
                            key=f"convrep:{conversation_id}:{chat_id}",
                            kind="conversation_report",
                            chat_id=chat_id,
                            text=notices.report(tr, analysis, closed=True),
                            attachment=chart,
                            attachment_name=f"conversation-{conversation_id}.png"
                            if chart
                            else None,
                            now=now,
                        )
                    ],
                )
            await repo.unlink_participants(session, conversation_id)
            conversation.results_sent_at = now
            await audit_repo.add_audit_entry(
                session,
                "conversation.results",
                actor_telegram_id=actor,
                subject=str(conversation_id),
                details={"voters_told": told},
            )
            view = await records.view_of(session, conversation)
        return view, told

    async def chart(self, analysis: Analysis, locale: str) -> bytes | None:
        return await asyncio.to_thread(_chart, self._i18n, locale, analysis)

    async def _coordinator_chats(self, session: AsyncSession) -> list[int]:
        """The coordinators' group, or each coordinator when there is none."""
        if self.config.coordinator_chat_id is not None:
            return [self.config.coordinator_chat_id]
        grants = await roles_repo.list_grants(session)
        ids = {g.telegram_id for g in grants if g.role == Role.COORDINATOR.value}
        return sorted(ids | set(self.config.admin_ids))

    # ---- residents -------------------------------------------------------------------------

    async def card(self, telegram_id: int, conversation_id: int | None = None) -> Card:
        """The next statement for this resident (joining the conversation on the first look)."""
        async with self._sessions.begin() as session:
            resident = await records.resident(session, telegram_id)
            if conversation_id is None:
                conversation = await repo.latest_open(session)
                if conversation is None:
                    raise ConversationError(ConversationProblem.NONE_OPEN)
            else:
                conversation = await records.conversation(session, conversation_id)
            records.must_be_open(conversation)
            participant = await records.participant(session, conversation.id, resident.id)
            return await records.card(session, conversation, participant.id)

    async def vote(
        self, telegram_id: int, conversation_id: int, statement_id: int, value: int
    ) -> Card:
        async with self._sessions.begin() as session:
            resident = await records.resident(session, telegram_id)
            conversation = await records.conversation(session, conversation_id)
            records.must_be_open(conversation)
            statement = await repo.get_statement(session, statement_id)
            if (
                statement is None
                or statement.conversation_id != conversation.id
                or statement.status != StatementStatus.APPROVED
            ):
                raise ConversationError(ConversationProblem.UNKNOWN, str(statement_id))
            participant = await records.participant(session, conversation.id, resident.id)
            if not await repo.add_vote(session, participant.id, statement.id, value):
                raise ConversationError(ConversationProblem.ALREADY_VOTED)
            return await records.card(session, conversation, participant.id)

    async def check_statement(self, telegram_id: int, conversation_id: int) -> ConversationView:
        """May this resident write a statement now? (open, and not too many waiting)."""
        async with self._sessions() as session:
            resident = await records.resident(session, telegram_id)
            conversation = await records.conversation(session, conversation_id)
            records.must_be_open(conversation)
            participant = await repo.get_participant(session, conversation.id, resident.id)
            if (
                participant is not None
                and await repo.count_pending_by(session, participant.id) >= PENDING_MAX
            ):
                raise ConversationError(ConversationProblem.TOO_MANY_PENDING, needed=PENDING_MAX)
            return await records.view_of(session, conversation)

    async def add_statement(
        self, telegram_id: int, conversation_id: int, text: str, locale: str
    ) -> PendingStatement:
        """A resident's statement, waiting for a coordinator (asked through the outbox)."""
        text = " ".join(text.split())
        if len(text) > STATEMENT_MAX:
            raise ConversationError(
                ConversationProblem.TOO_LONG, count=len(text), needed=STATEMENT_MAX
            )
        if len(text) < STATEMENT_MIN:
            raise ConversationError(ConversationProblem.TOO_SHORT, needed=STATEMENT_MIN)
        await self.check_statement(telegram_id, conversation_id)
        async with self._sessions.begin() as session:
            resident = await records.resident(session, telegram_id)
            conversation = await records.conversation(session, conversation_id)
            records.must_be_open(conversation)
            participant = await records.participant(session, conversation.id, resident.id)
            statement = ConversationStatement(
                conversation_id=conversation.id,
                text_sl=text if locale == "sl" else None,
                text_en=None if locale == "sl" else text,
                status=StatementStatus.PENDING,
                author=participant.id,
            )
            session.add(statement)
            await session.flush()
            pending = records.pending_of(statement, conversation)
            now = utcnow()
            tr = self._i18n.get(self.config.locale)
            notice = notices.moderation_request(tr, pending)
            rows = [
                outbox_repo.outbox_row(
                    key=f"convask:{statement.id}:{chat_id}",
                    kind="conversation_moderation",
                    chat_id=chat_id,
                    text=notice.text,
                    reply_markup=notice.reply_markup,
                    urgent=True,  # coordinators asked to moderate: not held for quiet hours
                    now=now,
                )
                for chat_id in await self._coordinator_chats(session)
            ]
            await outbox_repo.add_outbox_messages(session, rows)
            return pending

    # ---- data rights -----------------------------------------------------------------------

    async def export(
        self, conversation_id: int, fmt: str, *, route: str, who: str | None, actor: int | None
    ) -> ConversationExport:
        """Staff's file of one conversation (see `export.conversation_export`), audit-logged."""
        return await conversation_export(
            self._sessions,
            conversation_id,
            fmt,
            k=self.config.min_group_size,
            min_voters=self.config.min_voters,
            route=route,
            who=who,
            actor=actor,
        )

    async def export_in(self, session: AsyncSession, resident_id: int) -> list[dict[str, Any]]:
        """For /mydata: the votes and statements still linked to the resident."""
        found = []
        names = {1: "agree", -1: "disagree", 0: "pass"}
        for conversation, participant in await repo.list_linked(session, resident_id):
            votes = await repo.votes_with_texts(session, participant.id)
            written = await repo.authored(session, participant.id)
            found.append(
                {
                    "conversation": conversation.question_en,
                    "conversation_sl": conversation.question_sl,
                    "status": conversation.status,
                    "votes": [
                        {
                            "statement": s.text_en or s.text_sl,
                            "statement_sl": s.text_sl,
                            "vote": names.get(v, str(v)),
                        }
                        for s, v in votes
                    ],
                    "statements_written": [
                        {"text": s.text_sl or s.text_en, "status": s.status} for s in written
                    ],
                }
            )
        return found

    async def forget_in(self, session: AsyncSession, resident_id: int, telegram_id: int) -> None:
        await repo.forget_resident(session, resident_id)
        await repo.forget_actor(session, telegram_id)


def _compute(votes: list[tuple[str, int, int]], ids: list[int], k: int, grouped: bool) -> Opinions:
    matrix = VoteMatrix.from_votes(votes, ids)
    # Below the voters' threshold no groups are looked for: every clustered voter is one group.
    return find_opinion_groups(matrix, min_group=k, max_groups=5 if grouped else 1)


def _chart(i18n: I18n, locale: str, analysis: Analysis) -> bytes | None:
    from bot.services.conversations.chart import chart_png

    return chart_png(i18n.get(locale), analysis)
