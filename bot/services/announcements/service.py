"""The announcement service: composing drafts, and sending them (now, later, or not at all)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.quiet import QuietHours
from bot.i18n import I18n
from bot.services.announcements.dispatch import Dispatcher
from bot.services.announcements.drafts import Drafts


class AnnouncementService:
    """`drafts` walks a coordinator through composing; `sending` takes it from there."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], i18n: I18n, quiet: QuietHours
    ) -> None:
        self.drafts = Drafts(sessions, i18n, quiet)
        self.sending = Dispatcher(sessions, i18n, quiet)
