"""The story service: drafts written step by step, moderation of residents' stories, and
publishing to followers of the theme through the outbox (announcements' audience rules)."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.codec import awaiting
from bot.domain import codes
from bot.i18n import I18n
from bot.services.drafts import DraftKind, ModeratedDrafts
from bot.services.notice import Notice
from bot.services.stories import notices
from bot.services.stories.types import (
    PAGE,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Editable,
    StoryAwaiting,
    StoryError,
    StoryKind,
    StoryPage,
    StoryProblem,
    StoryStatus,
    StoryStep,
    StoryView,
    checked_text,
    steps_for,
    to_view,
)
from storage.models import Resident, Story, utcnow
from storage.repositories import announcements as announcements_repo
from storage.repositories import audit as audit_repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import residents as residents_repo
from storage.repositories import stories as repo

log = logging.getLogger(__name__)


def _next(story: Story) -> str:
    steps = steps_for(StoryKind(story.kind), story.author_locale)
    return steps[steps.index(StoryStep(story.step)) + 1].value


class StoryService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        coordinator_chat_id: int | None,
    ):
        self._sessions = sessions
        self._i18n = i18n
        self._chat = coordinator_chat_id
        self._drafts: ModeratedDrafts[Story, StoryView] = ModeratedDrafts(
            sessions,
            DraftKind(
                repo.get_draft,
                to_view,
                StoryAwaiting.DRAFT,
                stale=lambda what: StoryError(StoryProblem.STALE, what),
                unknown=lambda: StoryError(StoryProblem.NOT_FOUND, "no resident"),
            ),
        )

    async def start(self, telegram_id: int, locale: str, official: bool) -> tuple[StoryView, bool]:
        kind = StoryKind.OFFICIAL if official else StoryKind.RESIDENT

        def new(resident: Resident) -> Story:
            return Story(
                author_id=resident.id,
                author_locale=locale,
                kind=kind.value,
                status=StoryStatus.DRAFT.value,
                step=steps_for(kind, locale)[0].value,
                recipients=0,
            )

        return await self._drafts.start(telegram_id, new)

    async def draft(self, telegram_id: int) -> StoryView | None:
        return await self._drafts.draft(telegram_id)

    def _draft_at(
        self, telegram_id: int, story_id: int, *steps: StoryStep
    ) -> AbstractAsyncContextManager[tuple[AsyncSession, Story]]:
        return self._drafts.at(telegram_id, story_id, *steps)

    async def set_text(self, telegram_id: int, story_id: int, text: str) -> StoryView:
        async with self._draft_at(telegram_id, story_id) as (_, draft):
            step = StoryStep(draft.step)
            if step in (StoryStep.TITLE_SL, StoryStep.TITLE_EN):
                setattr(draft, step.value, checked_text(text, TITLE_MAX))
            elif step in (StoryStep.TEXT_SL, StoryStep.TEXT_EN):
                setattr(draft, step.value, checked_text(text, TEXT_MAX))
            else:
                raise StoryError(StoryProblem.WANTS_BUTTON)
            draft.step = _next(draft)
            return to_view(draft)

    async def same_text(self, telegram_id: int, story_id: int) -> StoryView:
        """The English title or text is the Slovenian one."""
        steps = (StoryStep.TITLE_EN, StoryStep.TEXT_EN)
        async with self._draft_at(telegram_id, story_id, *steps) as (_, draft):
            if draft.step == StoryStep.TITLE_EN:
                draft.title_en = draft.title_sl
            else:
                draft.text_en = draft.text_sl
            draft.step = _next(draft)
            return to_view(draft)

    async def choose_topic(self, telegram_id: int, story_id: int, code: str) -> StoryView:
        if code not in codes(self._i18n.profile.topics):
            raise StoryError(StoryProblem.STALE, f"topic {code!r}")
        async with self._draft_at(telegram_id, story_id, StoryStep.TOPIC) as (_, draft):
            draft.topic, draft.step = code, _next(draft)
            return to_view(draft)

    async def set_photo(self, telegram_id: int, story_id: int, file_id: str | None) -> StoryView:
        async with self._draft_at(telegram_id, story_id, StoryStep.PHOTO) as (_, draft):
            draft.photo_file_id, draft.step = file_id, _next(draft)
            return to_view(draft)

    async def discard(self, telegram_id: int, story_id: int) -> None:
        await self._drafts.discard(telegram_id, story_id)

    async def finish(self, telegram_id: int, story_id: int) -> StoryView:
        """A coordinator's story is published at once; a resident's goes to moderation."""
        async with self._draft_at(telegram_id, story_id, StoryStep.PREVIEW) as (session, draft):
            await residents_repo.update_resident(session, telegram_id, awaiting=None)
            draft.step, draft.submitted_at = None, utcnow()
            if draft.kind == StoryKind.OFFICIAL:
                await self._publish(session, draft, telegram_id)
                return to_view(draft)
            draft.status = StoryStatus.PENDING.value
            view = to_view(draft)
            await audit_repo.add_audit_entry(
                session, "story.submit", actor_telegram_id=telegram_id, subject=str(draft.id)
            )
            if self._chat is not None:
                notice = notices.moderation(self._i18n.get(None), view)
                await outbox_repo.add_outbox_messages(
                    session,
                    [
                        outbox_repo.outbox_row(
                            key=f"storymod:{draft.id}",
                            kind="story_moderation",
                            chat_id=self._chat,
                            text=notice.text,
                            reply_markup=notice.reply_markup,
                            photo_file_id=draft.photo_file_id,
                            urgent=True,
                            now=utcnow(),
                        )
                    ],
                )
            return view

    async def _publish(self, session: AsyncSession, story: Story, actor: int) -> None:
        """To every reachable resident who follows the theme, one outbox row each, not urgent
        (quiet hours hold them); the delivery engine keeps to Telegram's rate."""
        now = utcnow()
        story.status, story.published_at = StoryStatus.PUBLISHED.value, now
        view = to_view(story)
        found = await announcements_repo.list_recipients(session, topics=[story.topic or ""])
        bodies: dict[str, str] = {}
        rows = []
        for resident_id, chat_id, locale, language_code in found:
            loc = self._i18n.locale_for(locale, language_code)
            if loc not in bodies:
                bodies[loc] = notices.delivered(self._i18n.get(loc), view)
            rows.append(
                outbox_repo.outbox_row(
                    key=f"story:{story.id}:{chat_id}",
                    kind="story",
                    chat_id=chat_id,
                    resident_id=resident_id,
                    text=bodies[loc],
                    photo_file_id=story.photo_file_id,
                    urgent=False,
                    now=now,
                )
            )
        await outbox_repo.add_outbox_messages(session, rows)
        story.recipients = len(rows)
        await audit_repo.add_audit_entry(
            session,
            "story.publish",
            actor_telegram_id=actor,
            subject=str(story.id),
            details={"recipients": len(rows), "topic": story.topic, "kind": story.kind},
        )
        log.info("story %s published to %d residents", story.id, len(rows))

    async def _pending(self, session: AsyncSession, story_id: int) -> Story:
        story = await repo.get_story(session, story_id, lock=True)
        if story is None or story.status == StoryStatus.DRAFT:
            raise StoryError(StoryProblem.NOT_FOUND, str(story_id))
        if story.status != StoryStatus.PENDING:
            raise StoryError(StoryProblem.MODERATED, str(story_id))
        return story

    async def approve(self, actor: int, story_id: int) -> StoryView:
        async with self._sessions.begin() as session:
            story = await self._pending(session, story_id)
            await self._publish(session, story, actor)
            view = to_view(story)
            await self._to_author(session, story, "approved", notices.approved)
            return view

    async def ask_reason(self, actor: int, story_id: int) -> StoryView:
        async with self._sessions.begin() as session:
            story = await self._pending(session, story_id)
            await residents_repo.update_resident(
                session, actor, awaiting=awaiting(StoryAwaiting.REJECT, story_id)
            )
            return to_view(story)

    async def ask_edit(self, actor: int, story_id: int, field: Editable) -> StoryView:
        async with self._sessions.begin() as session:
            story = await self._pending(session, story_id)
            await residents_repo.update_resident(
                session, actor, awaiting=awaiting(StoryAwaiting.EDIT, story_id, field.value)
            )
            return to_view(story)

    async def edit(self, actor: int, story_id: int, field: Editable, text: str) -> StoryView:
        """A coordinator corrects the title or text, in the language the story was written in."""
        value = checked_text(text, TITLE_MAX if field == Editable.TITLE else TEXT_MAX)
        async with self._sessions.begin() as session:
            story = await self._pending(session, story_id)
            language = "en" if story.title_sl is None and story.text_sl is None else "sl"
            setattr(story, f"{field.value}_{language}", value)
            await residents_repo.update_resident(session, actor, awaiting=None)
            await audit_repo.add_audit_entry(
                session,
                "story.edit",
                actor_telegram_id=actor,
                subject=str(story.id),
                details={"field": field.value},
            )
            return to_view(story)

    async def reject(self, actor: int, story_id: int, reason: str) -> StoryView:
        reason = checked_text(reason, REASON_MAX)
        async with self._sessions.begin() as session:
            story = await self._pending(session, story_id)
            story.status, story.reject_reason = StoryStatus.REJECTED.value, reason
            await residents_repo.update_resident(session, actor, awaiting=None)
            await self._to_author(session, story, "rejected", notices.rejected)
            await audit_repo.add_audit_entry(
                session, "story.reject", actor_telegram_id=actor, subject=str(story.id)
            )
            return to_view(story)

    async def _to_author(self, session: AsyncSession, story: Story, what: str, make) -> None:  # type: ignore[no-untyped-def]
        if story.author_id is None:
            return
        author = await session.get(Resident, story.author_id)
        if author is None or not author.is_active:
            return
        tr = self._i18n.get(self._i18n.locale_for(author.locale, author.language_code))
        notice: Notice = make(tr, to_view(story))
        await outbox_repo.add_outbox_messages(
            session,
            [
                outbox_repo.outbox_row(
                    key=f"story:{what}:{story.id}",
                    kind="story_outcome",
                    chat_id=author.telegram_id,
                    resident_id=author.id,
                    text=notice.text,
                    urgent=False,
                    now=utcnow(),
                )
            ],
        )

    async def published(self, offset: int = 0, limit: int = PAGE) -> StoryPage:
        async with self._sessions() as session:
            stories, total = await repo.list_published(session, offset, limit)
            return StoryPage(tuple(to_view(s) for s in stories), total, offset)

    async def get(self, story_id: int) -> StoryView:
        async with self._sessions() as session:
            story = await repo.get_story(session, story_id)
            if story is None or story.status != StoryStatus.PUBLISHED:
                raise StoryError(StoryProblem.NOT_FOUND, str(story_id))
            return to_view(story)
