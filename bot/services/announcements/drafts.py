"""Composing an announcement: the step machine. Each input validates and picks the next step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.quiet import QuietHours
from bot.i18n import I18n
from bot.services.announcements import audience, notices
from bot.services.announcements.types import (
    MAX_CAPTION,
    MAX_TEXT,
    AnnouncementError,
    AnnouncementView,
    Audience,
    AudienceLab,
    Compose,
    Preview,
    Problem,
    plain_length,
    to_view,
)
from storage.models import Announcement
from storage.repositories import announcements as repo
from storage.repositories import residents as residents_repo


async def locked_draft(
    session: AsyncSession, author: int, announcement_id: int, *steps: Compose
) -> Announcement:
    """The author's draft, locked, if it is this one and waits at one of `steps` (or any)."""
    draft = await repo.get_draft(session, author, lock=True)
    if draft is None or draft.id != announcement_id or (steps and draft.step not in steps):
        raise AnnouncementError(Problem.STALE, f"draft {announcement_id} is not at {steps}")
    return draft


class Drafts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], i18n: I18n, quiet: QuietHours):
        self._sessions = sessions
        self._i18n = i18n
        # Without quiet hours there is nothing to be urgent about: straight to the preview.
        self.asks_urgency = quiet.start is not None
        self._footer = max(
            plain_length(notices.footer(i18n.get(locale))) for locale in i18n.languages
        )

    @asynccontextmanager
    async def _at(
        self, author: int, announcement_id: int, *steps: Compose
    ) -> AsyncIterator[Announcement]:
        async with self._sessions.begin() as session:
            yield await locked_draft(session, author, announcement_id, *steps)

    async def draft(self, author: int) -> AnnouncementView | None:
        async with self._sessions() as session:
            draft = await repo.get_draft(session, author)
            return to_view(draft) if draft else None

    async def start(self, author: int, locale: str) -> tuple[AnnouncementView, bool]:
        """The author's draft, or a new one (True when new); it takes their typed text now."""
        async with self._sessions.begin() as session:
            # Whatever else waited for the author's next text (a lab draft, a survey) gives way.
            await residents_repo.update_resident(session, author, awaiting=None)
            draft = await repo.get_draft(session, author, lock=True)
            if draft is not None:
                return to_view(draft), False
            draft = repo.add_draft(
                session, author, locale, step=Compose.TEXT_SL, audience_kind=Audience.ALL
            )
            await session.flush()
            return to_view(draft), True

    def limit(self, photo: bool) -> int:
        """How long a text may be, once the footer is added."""
        return (MAX_CAPTION if photo else MAX_TEXT) - (self._footer + 2)

    async def set_text(self, author: int, announcement_id: int, text_html: str) -> AnnouncementView:
        """The text in the language the draft asks for: Slovenian first, then English."""
        async with self._at(author, announcement_id) as draft:
            if draft.step not in (Compose.TEXT_SL, Compose.TEXT_EN):
                raise AnnouncementError(Problem.WANTS_BUTTON, f"text at {draft.step}")
            length, limit = plain_length(text_html), self.limit(photo=False)
            if length > limit:
                raise AnnouncementError(Problem.TEXT_TOO_LONG, limit=limit, length=length)
            if draft.step == Compose.TEXT_SL:
                draft.text_sl, draft.step = text_html, Compose.TEXT_EN
            else:
                draft.text_en, draft.step = text_html, Compose.PHOTO
            return to_view(draft)

    async def same_text(self, author: int, announcement_id: int) -> AnnouncementView:
        """English readers get the Slovenian text."""
        async with self._at(author, announcement_id, Compose.TEXT_EN) as draft:
            draft.text_en, draft.step = draft.text_sl, Compose.PHOTO
            return to_view(draft)

    async def set_photo(self, author: int, announcement_id: int, file_id: str) -> AnnouncementView:
        async with self._at(author, announcement_id) as draft:
            if draft.step != Compose.PHOTO:
                raise AnnouncementError(Problem.WANTS_BUTTON, f"photo at {draft.step}")
            # The texts become captions, which Telegram keeps shorter.
            longest = max(plain_length(draft.text_sl or ""), plain_length(draft.text_en or ""))
            limit = self.limit(photo=True)
            if longest > limit:
                raise AnnouncementError(Problem.CAPTION_TOO_LONG, limit=limit, length=longest)
            draft.photo_file_id, draft.step = file_id, Compose.AUDIENCE
            return to_view(draft)

    async def skip_photo(self, author: int, announcement_id: int) -> AnnouncementView:
        async with self._at(author, announcement_id, Compose.PHOTO) as draft:
            draft.photo_file_id, draft.step = None, Compose.AUDIENCE
            return to_view(draft)

    def _after_audience(self) -> Compose:
        return Compose.URGENCY if self.asks_urgency else Compose.PREVIEW

    async def choose_audience(
        self, author: int, announcement_id: int, kind: str
    ) -> AnnouncementView:
        """Everyone goes on; any other audience asks for its values first."""
        try:
            chosen = Audience(kind)
        except ValueError:
            raise AnnouncementError(Problem.STALE, f"no audience {kind!r}") from None
        async with self._at(author, announcement_id, Compose.AUDIENCE) as draft:
            draft.audience_kind, draft.audience_values = chosen.value, []
            draft.step = (
                self._after_audience() if chosen == Audience.ALL else Compose.AUDIENCE_VALUES
            )
            return to_view(draft)

    async def back_to_audiences(self, author: int, announcement_id: int) -> AnnouncementView:
        async with self._at(author, announcement_id, Compose.AUDIENCE_VALUES) as draft:
            draft.audience_values, draft.step = [], Compose.AUDIENCE
            return to_view(draft)

    async def toggle_value(self, author: int, announcement_id: int, value: str) -> AnnouncementView:
        async with self._sessions.begin() as session:
            draft = await locked_draft(session, author, announcement_id, Compose.AUDIENCE_VALUES)
            if value not in await audience.allowed_values(
                session, Audience(draft.audience_kind), self._i18n.profile
            ):
                raise AnnouncementError(Problem.STALE, f"{value!r} is not of this audience")
            chosen = list(draft.audience_values or [])
            draft.audience_values = (
                [v for v in chosen if v != value] if value in chosen else [*chosen, value]
            )
            return to_view(draft)

    async def confirm_values(self, author: int, announcement_id: int) -> AnnouncementView:
        async with self._at(author, announcement_id, Compose.AUDIENCE_VALUES) as draft:
            if not draft.audience_values:
                raise AnnouncementError(Problem.NOTHING_CHOSEN)
            draft.step = self._after_audience()
            return to_view(draft)

    async def set_urgency(
        self, author: int, announcement_id: int, urgent: bool
    ) -> AnnouncementView:
        async with self._at(author, announcement_id, Compose.URGENCY) as draft:
            draft.urgent, draft.step = urgent, Compose.PREVIEW
            return to_view(draft)

    async def ask_when(self, author: int, announcement_id: int) -> AnnouncementView:
        """From the preview: the author will say when it should go out."""
        async with self._at(author, announcement_id, Compose.PREVIEW) as draft:
            draft.step = Compose.SCHEDULE
            return to_view(draft)

    async def discard(self, author: int, announcement_id: int) -> None:
        async with self._sessions.begin() as session:
            draft = await locked_draft(session, author, announcement_id)
            await session.delete(draft)

    async def audience_labs(self) -> list[AudienceLab]:
        async with self._sessions() as session:
            return await audience.audience_labs(session)

    async def preview(self, view: AnnouncementView) -> Preview:
        async with self._sessions() as session:
            found = await audience.recipients(
                session, view, self._i18n.default_locale, self._i18n.languages
            )
        languages = self._i18n.languages
        return Preview(
            announcement=view,
            bodies={loc: notices.body(self._i18n.get(loc), view) for loc in ("sl", "en")},
            by_locale={loc: sum(1 for r in found if r.locale == loc) for loc in languages},
            # Announcements are written in Slovenian and English; every other language the
            # town offers reads the English text, and the author is told so.
            fallback=tuple(loc for loc in languages if loc not in ("sl", "en")),
            recipients=len(found),
            asks_urgency=self.asks_urgency,
        )
