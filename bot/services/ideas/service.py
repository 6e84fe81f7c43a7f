"""The idea service: drafts written step by step, moderation, supports and official answers.

Each operation owns one transaction. Messages to other chats (the coordinators', the author,
supporters) are outbox rows committed with the change they announce.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.codec import awaiting
from bot.domain import Bilingual, codes
from bot.i18n import I18n
from bot.services.announcements.types import AudienceLab
from bot.services.drafts import DraftKind, ModeratedDrafts
from bot.services.ideas import notices
from bot.services.ideas.types import (
    ANSWER_MAX,
    PAGE,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Editable,
    IdeaAwaiting,
    IdeaCard,
    IdeaError,
    IdeaPage,
    IdeaProblem,
    IdeaStatus,
    IdeaStep,
    IdeaView,
    Order,
    Outcome,
    TopIdea,
    checked_text,
    to_view,
)
from bot.services.notice import Notice
from storage.models import Idea, Lab, Resident, utcnow
from storage.repositories import announcements as announcements_repo
from storage.repositories import audit as audit_repo
from storage.repositories import ideas as repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import residents as residents_repo

log = logging.getLogger(__name__)

# Labs an idea can be linked to: upcoming ones and those that ended in the last weeks.
LINKABLE_LABS_AFTER = timedelta(days=60)
PENDING_SHOWN = 10


async def top_ideas(
    session: AsyncSession, since: datetime, limit: int, minimum: int = 1
) -> list[TopIdea]:
    """The period's most supported published ideas (for the digest), most new supports first."""
    return [
        TopIdea(idea.id, idea.title or "", idea.topic, new, total)
        for idea, new, total in await repo.list_top(session, since, limit, minimum)
    ]


async def _resident(session: AsyncSession, telegram_id: int) -> Resident:
    resident = await residents_repo.get_resident(session, telegram_id)
    if resident is None:
        raise IdeaError(IdeaProblem.NOT_FOUND, "no resident")
    return resident


async def _view(session: AsyncSession, idea: Idea) -> IdeaView:
    return to_view(idea, await repo.count_supports(session, idea.id))


class IdeaService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        coordinator_chat_id: int | None,
    ):
        self._sessions = sessions
        self._i18n = i18n
        self._chat = coordinator_chat_id
        self._drafts: ModeratedDrafts[Idea, IdeaView] = ModeratedDrafts(
            sessions,
            DraftKind(
                repo.get_draft,
                to_view,
                IdeaAwaiting.DRAFT,
                stale=lambda what: IdeaError(IdeaProblem.STALE, what),
                unknown=lambda: IdeaError(IdeaProblem.NOT_FOUND, "no resident"),
            ),
        )

    # --- drafts -------------------------------------------------------------------------

    async def start(self, telegram_id: int, locale: str) -> tuple[IdeaView, bool]:
        """The resident's draft, or a new one (True when new); it takes their typed text now."""

        def new(resident: Resident) -> Idea:
            return Idea(
                author_id=resident.id,
                author_locale=locale,
                status=IdeaStatus.DRAFT.value,
                step=IdeaStep.TITLE.value,
            )

        return await self._drafts.start(telegram_id, new)

    async def draft(self, telegram_id: int) -> IdeaView | None:
        return await self._drafts.draft(telegram_id)

    def _draft_at(
        self, telegram_id: int, idea_id: int, *steps: IdeaStep
    ) -> AbstractAsyncContextManager[tuple[AsyncSession, Idea]]:
        return self._drafts.at(telegram_id, idea_id, *steps)

    async def set_text(self, telegram_id: int, idea_id: int, text: str) -> IdeaView:
        """The title, then the text; anything typed at a button step is refused."""
        async with self._draft_at(telegram_id, idea_id) as (_, draft):
            if draft.step == IdeaStep.TITLE:
                draft.title = checked_text(text, TITLE_MAX)
                draft.step = IdeaStep.TEXT.value
            elif draft.step == IdeaStep.TEXT:
                draft.text = checked_text(text, TEXT_MAX)
                draft.step = IdeaStep.TOPIC.value
            else:
                raise IdeaError(IdeaProblem.WANTS_BUTTON)
            return to_view(draft)

    async def choose(self, telegram_id: int, idea_id: int, step: IdeaStep, code: str) -> IdeaView:
        """A theme or a municipality chosen with a button."""
        town = self._i18n.profile
        allowed = {
            IdeaStep.TOPIC: codes(town.topics),
            IdeaStep.MUNICIPALITY: codes(town.municipalities),
        }
        if step not in allowed or code not in allowed[step]:
            raise IdeaError(IdeaProblem.STALE, f"{step} {code!r}")
        async with self._draft_at(telegram_id, idea_id, step) as (_, draft):
            if step == IdeaStep.TOPIC:
                draft.topic, draft.step = code, IdeaStep.MUNICIPALITY.value
            else:
                draft.municipality, draft.step = code, IdeaStep.PHOTO.value
            return to_view(draft)

    async def set_photo(self, telegram_id: int, idea_id: int, file_id: str | None) -> IdeaView:
        async with self._draft_at(telegram_id, idea_id, IdeaStep.PHOTO) as (_, draft):
            draft.photo_file_id, draft.step = file_id, IdeaStep.PREVIEW.value
            return to_view(draft)

    async def discard(self, telegram_id: int, idea_id: int) -> None:
        await self._drafts.discard(telegram_id, idea_id)

    async def submit(self, telegram_id: int, idea_id: int) -> IdeaView:
        """To the moderation queue; the coordinators' chat hears of it through the outbox."""
        async with self._draft_at(telegram_id, idea_id, IdeaStep.PREVIEW) as (session, draft):
            draft.status, draft.step, draft.submitted_at = IdeaStatus.PENDING.value, None, utcnow()
            await residents_repo.update_resident(session, telegram_id, awaiting=None)
            view = to_view(draft)
            await self._to_coordinators(session, f"ideamod:{draft.id}", notices.moderation, view)
            await audit_repo.add_audit_entry(
                session, "idea.submit", actor_telegram_id=telegram_id, subject=str(draft.id)
            )
            log.info("idea %s submitted for moderation", draft.id)
            return view

    # --- moderation ---------------------------------------------------------------------

    async def _pending(self, session: AsyncSession, idea_id: int) -> Idea:
        idea = await repo.get_idea(session, idea_id, lock=True)
        if idea is None or idea.status == IdeaStatus.DRAFT:
            raise IdeaError(IdeaProblem.NOT_FOUND, str(idea_id))
        if idea.status != IdeaStatus.PENDING:
            raise IdeaError(IdeaProblem.MODERATED, str(idea_id))
        return idea

    async def approve(self, actor: int, idea_id: int) -> IdeaView:
        async with self._sessions.begin() as session:
            idea = await self._pending(session, idea_id)
            idea.status, idea.published_at = IdeaStatus.PUBLISHED.value, utcnow()
            view = to_view(idea)
            await self._to_author(session, idea, "approved", notices.approved(self._tr(idea), view))
            await audit_repo.add_audit_entry(
                session, "idea.approve", actor_telegram_id=actor, subject=str(idea.id)
            )
            return view

    async def reject(self, actor: int, idea_id: int, reason: str) -> IdeaView:
        reason = checked_text(reason, REASON_MAX)
        async with self._sessions.begin() as session:
            idea = await self._pending(session, idea_id)
            idea.status, idea.reject_reason = IdeaStatus.REJECTED.value, reason
            await residents_repo.update_resident(session, actor, awaiting=None)
            view = to_view(idea)
            await self._to_author(session, idea, "rejected", notices.rejected(self._tr(idea), view))
            await audit_repo.add_audit_entry(
                session, "idea.reject", actor_telegram_id=actor, subject=str(idea.id)
            )
            return view

    async def ask_reason(self, actor: int, idea_id: int) -> IdeaView:
        """The coordinator's next typed text is the reason for rejecting this idea."""
        return await self._await_from(actor, idea_id, awaiting(IdeaAwaiting.REJECT, idea_id))

    async def ask_edit(self, actor: int, idea_id: int, field: Editable) -> IdeaView:
        return await self._await_from(
            actor, idea_id, awaiting(IdeaAwaiting.EDIT, idea_id, field.value)
        )

    async def _await_from(self, actor: int, idea_id: int, value: str) -> IdeaView:
        async with self._sessions.begin() as session:
            idea = await repo.get_idea(session, idea_id)
            if idea is None or idea.status in (IdeaStatus.DRAFT, IdeaStatus.REJECTED):
                raise IdeaError(IdeaProblem.NOT_FOUND, str(idea_id))
            await residents_repo.update_resident(session, actor, awaiting=value)
            return await _view(session, idea)

    async def edit(self, actor: int, idea_id: int, field: Editable, text: str) -> IdeaView:
        """A coordinator corrects the title or text (a typo, a phone number that must go)."""
        value = checked_text(text, TITLE_MAX if field == Editable.TITLE else TEXT_MAX)
        async with self._sessions.begin() as session:
            idea = await repo.get_idea(session, idea_id, lock=True)
            if idea is None or idea.status in (IdeaStatus.DRAFT, IdeaStatus.REJECTED):
                raise IdeaError(IdeaProblem.NOT_FOUND, str(idea_id))
            setattr(idea, field.value, value)
            await residents_repo.update_resident(session, actor, awaiting=None)
            await audit_repo.add_audit_entry(
                session,
                "idea.edit",
                actor_telegram_id=actor,
                subject=str(idea.id),
                details={"field": field.value},
            )
            return await _view(session, idea)

    async def pending(self) -> list[IdeaView]:
        async with self._sessions() as session:
            return [to_view(i) for i in await repo.list_pending(session, PENDING_SHOWN)]

    async def answer(
        self, actor: int, idea_id: int, outcome: Outcome, text: str, lab_id: int | None = None
    ) -> tuple[IdeaView, int]:
        """The official status and answer; the author and every supporter hear of it (through
        the outbox, not urgent, so quiet hours hold it). Returns the view and how many."""
        text = checked_text(text, ANSWER_MAX)
        async with self._sessions.begin() as session:
            idea = await repo.get_idea(session, idea_id, lock=True)
            if idea is None or idea.status != IdeaStatus.PUBLISHED:
                raise IdeaError(IdeaProblem.NOT_PUBLISHED, str(idea_id))
            lab = await session.get(Lab, lab_id) if lab_id is not None else None
            if outcome == Outcome.LAB and lab is None:
                raise IdeaError(IdeaProblem.STALE, f"lab {lab_id}")
            now = utcnow()
            idea.outcome, idea.answer, idea.answered_at = outcome.value, text, now
            idea.lab_id = lab.id if lab is not None and outcome == Outcome.LAB else None
            await residents_repo.update_resident(session, actor, awaiting=None)
            view = await _view(session, idea)
            title = Bilingual(lab.title_sl, lab.title_en) if lab is not None else None
            people = await repo.list_people_to_tell(session, idea.id)
            rows = []
            for resident_id, chat_id, locale, language_code in people:
                tr = self._i18n.get(self._i18n.locale_for(locale, language_code))
                notice = notices.answered(tr, view, title.get(tr.locale) if title else None)
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"ideaans:{idea.id}:{int(now.timestamp())}:{resident_id}",
                        kind="idea_answer",
                        chat_id=chat_id,
                        resident_id=resident_id,
                        text=notice.text,
                        reply_markup=notice.reply_markup,
                        urgent=False,
                        now=now,
                    )
                )
            await outbox_repo.add_outbox_messages(session, rows)
            await audit_repo.add_audit_entry(
                session,
                "idea.answer",
                actor_telegram_id=actor,
                subject=str(idea.id),
                details={"outcome": outcome.value, "lab": idea.lab_id, "told": len(rows)},
            )
            return view, len(rows)

    async def linkable_labs(self) -> list[AudienceLab]:
        async with self._sessions() as session:
            rows = await announcements_repo.list_audience_labs(
                session, utcnow() - LINKABLE_LABS_AFTER
            )
            return [AudienceLab(i, Bilingual(sl, en), at) for i, sl, en, at in rows]

    async def lab_title(self, lab_id: int | None) -> Bilingual | None:
        if lab_id is None:
            return None
        async with self._sessions() as session:
            lab = await session.get(Lab, lab_id)
            return Bilingual(lab.title_sl, lab.title_en) if lab else None

    # --- reading and supporting ---------------------------------------------------------

    async def published(
        self, topic: str | None, order: Order, offset: int = 0, limit: int = PAGE
    ) -> IdeaPage:
        if topic is not None and topic not in codes(self._i18n.profile.topics):
            raise IdeaError(IdeaProblem.STALE, f"topic {topic!r}")
        async with self._sessions() as session:
            rows, total = await repo.list_published(
                session, topic=topic, top=order == Order.SUPPORTED, offset=offset, limit=limit
            )
            ideas = tuple(to_view(idea, n) for idea, n in rows)
            return IdeaPage(ideas, total, offset, topic, order)

    async def card(self, telegram_id: int, idea_id: int) -> IdeaCard:
        """A published idea, or the reader's own idea whatever its state."""
        async with self._sessions() as session:
            resident = await _resident(session, telegram_id)
            idea = await repo.get_idea(session, idea_id)
            mine = idea is not None and idea.author_id == resident.id
            if idea is None or not (idea.status == IdeaStatus.PUBLISHED or mine):
                raise IdeaError(IdeaProblem.NOT_FOUND, str(idea_id))
            if idea.status == IdeaStatus.DRAFT:
                raise IdeaError(IdeaProblem.NOT_FOUND, str(idea_id))
            supported = await repo.is_supporting(session, idea.id, resident.id)
            return IdeaCard(await _view(session, idea), supported, mine)

    async def support(self, telegram_id: int, idea_id: int, on: bool) -> IdeaCard:
        """Support a published idea (once per resident), or withdraw the support."""
        async with self._sessions.begin() as session:
            resident = await _resident(session, telegram_id)
            idea = await repo.get_idea(session, idea_id, lock=True)
            if idea is None or idea.status != IdeaStatus.PUBLISHED:
                raise IdeaError(IdeaProblem.NOT_PUBLISHED, str(idea_id))
            if idea.author_id == resident.id:
                raise IdeaError(IdeaProblem.OWN_IDEA, str(idea_id))
            if on:
                changed = await repo.add_support(session, idea.id, resident.id)
            else:
                changed = await repo.delete_support(session, idea.id, resident.id)
            if not changed:
                raise IdeaError(IdeaProblem.STALE, f"support {on} again")
            return IdeaCard(await _view(session, idea), on, False)

    async def mine(self, telegram_id: int) -> list[IdeaView]:
        async with self._sessions() as session:
            resident = await _resident(session, telegram_id)
            return [
                await _view(session, i)
                for i in await repo.list_authored(session, resident.id)
                if i.status != IdeaStatus.DRAFT
            ]

    async def delete_own(self, telegram_id: int, idea_id: int) -> None:
        """An author takes their idea back: it goes, with its supports."""
        async with self._sessions.begin() as session:
            resident = await _resident(session, telegram_id)
            idea = await repo.get_idea(session, idea_id, lock=True)
            if idea is None or idea.author_id != resident.id or idea.status == IdeaStatus.DRAFT:
                raise IdeaError(IdeaProblem.NOT_YOURS, str(idea_id))
            await session.delete(idea)
            await audit_repo.add_audit_entry(
                session, "idea.delete", actor_telegram_id=telegram_id, subject=str(idea_id)
            )

    # --- messages -----------------------------------------------------------------------

    def _tr(self, idea: Idea):  # type: ignore[no-untyped-def]
        return self._i18n.get(idea.author_locale)

    async def _to_coordinators(self, session: AsyncSession, key: str, make, view) -> None:  # type: ignore[no-untyped-def]
        if self._chat is None:
            log.info("idea %s waits for moderation (no coordinator chat configured)", view.id)
            return
        notice: Notice = make(self._i18n.get(None), view)
        row = outbox_repo.outbox_row(
            key=key,
            kind="idea_moderation",
            chat_id=self._chat,
            text=notice.text,
            reply_markup=notice.reply_markup,
            photo_file_id=view.photo_file_id,
            urgent=True,  # the coordinators' own chat: not a resident to spare at night
            now=utcnow(),
        )
        await outbox_repo.add_outbox_messages(session, [row])

    async def _to_author(
        self, session: AsyncSession, idea: Idea, what: str, notice: Notice
    ) -> None:
        if idea.author_id is None:
            return
        author = await session.get(Resident, idea.author_id)
        if author is None or not author.is_active:
            return
        row = outbox_repo.outbox_row(
            key=f"idea:{what}:{idea.id}",
            kind="idea_outcome",
            chat_id=author.telegram_id,
            resident_id=author.id,
            text=notice.text,
            reply_markup=notice.reply_markup,
            urgent=False,
            now=utcnow(),
        )
        await outbox_repo.add_outbox_messages(session, [row])
