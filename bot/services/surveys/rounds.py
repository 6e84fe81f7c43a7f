"""Survey rounds: a survey runs in rounds that coordinators open and close, each with its
counts, and one invitation of every reachable resident through the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ResponseStatus, RoundStatus
from bot.i18n import I18n
from bot.services.surveys import notices
from bot.services.surveys.definition import Survey, bilingual
from bot.services.surveys.errors import SurveyError, SurveyProblem
from bot.services.surveys.types import RoundState
from storage.models import SurveyRound, utcnow
from storage.repositories import audit as audit_repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import residents as residents_repo
from storage.repositories import surveys as repo


class RoundService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], shipped: dict[str, Survey], i18n: I18n
    ):
        self._sessions = sessions
        self._shipped = shipped
        self._i18n = i18n

    async def states(self) -> list[RoundState]:
        """Each shipped survey with its latest round (if any) and that round's counts."""
        async with self._sessions() as session:
            return [await self._state(session, survey) for survey in self._shipped.values()]

    async def state(self, code: str) -> RoundState:
        async with self._sessions() as session:
            return await self._state(session, self._shipped[code])

    async def _state(self, session: AsyncSession, survey: Survey) -> RoundState:
        title = bilingual(survey.title)
        last = await repo.last_round(session, survey.code)
        if last is None:
            return RoundState(survey.code, title, None, None)
        counts = await repo.count_by_status(session, last.id)
        return RoundState(
            survey.code,
            title,
            last.number,
            RoundStatus(last.status),
            counts.get(ResponseStatus.COMPLETED, 0),
            counts.get(ResponseStatus.IN_PROGRESS, 0),
            last.opened_at,
            last.invited_at is not None,
        )

    async def open(self, actor: int, code: str) -> RoundState:
        if code not in self._shipped:
            raise SurveyError(SurveyProblem.UNKNOWN_SURVEY, code)
        async with self._sessions.begin() as session:
            if await repo.open_round(session, code) is not None:
                raise SurveyError(SurveyProblem.ALREADY_OPEN, code)
            last = await repo.last_round(session, code)
            number = (last.number + 1) if last else 1
            session.add(
                SurveyRound(
                    survey_code=code, number=number, status=RoundStatus.OPEN, opened_by=actor
                )
            )
            await audit_repo.add_audit_entry(
                session, "survey.open", actor_telegram_id=actor, subject=f"{code}#{number}"
            )
        return await self.state(code)

    async def close(self, actor: int, code: str) -> RoundState:
        async with self._sessions.begin() as session:
            current = await repo.open_round(session, code)
            if current is None:
                raise SurveyError(SurveyProblem.NOT_OPEN, code)
            current.status, current.closed_at, current.closed_by = (
                RoundStatus.CLOSED,
                utcnow(),
                actor,
            )
            await audit_repo.add_audit_entry(
                session,
                "survey.close",
                actor_telegram_id=actor,
                subject=f"{code}#{current.number}",
            )
        return await self.state(code)

    async def invite(self, actor: int, code: str) -> int:
        """Invite every reachable resident to the open round, once, through the outbox."""
        async with self._sessions.begin() as session:
            current = await repo.open_round(session, code)
            if current is None:
                raise SurveyError(SurveyProblem.NOT_OPEN, code)
            if current.invited_at is not None:
                raise SurveyError(SurveyProblem.STALE, "already invited")
            current.invited_at = now = utcnow()
            rows = []
            for resident in await residents_repo.reachable_residents(session):
                tr = self._i18n.resolve(resident.locale, resident.language_code)
                notice = notices.invitation(tr)
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"srvinv:{current.id}:{resident.id}",
                        kind="survey_invite",
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
                "survey.invite",
                actor_telegram_id=actor,
                subject=f"{code}#{current.number}",
                details={"invited": count},
            )
            return count
