"""The survey feature as the bot holds it: the shipped definitions, their rounds and the
residents' responses, each a service of its own over the same definitions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import I18n
from bot.services.surveys.definition import Survey
from bot.services.surveys.responses import ResponseService
from bot.services.surveys.rounds import RoundService


class Surveys:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        shipped: list[Survey],
        i18n: I18n,
        secret: str | None = None,
    ):
        self.shipped = {s.code: s for s in shipped}
        self.rounds = RoundService(sessions, self.shipped, i18n)
        self.responses = ResponseService(sessions, self.shipped, secret)

    async def sync(self) -> None:
        """Record the shipped definitions (and the hash key); once, at start."""
        await self.responses.sync()

    def default_code(self) -> str:
        """The survey /survey opens: the first shipped one."""
        return next(iter(self.shipped))
