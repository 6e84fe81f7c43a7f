"""Survey rounds: a survey runs in rounds that coordinators open and close, each with its
counts, and one invitation of every consenting resident through the outbox.

A mixin of SurveyService (which owns the sessions and the shipped definitions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import resolve_locale
from bot.services.labs.types import Notice
from bot.services.surveys.definition import Survey
from bot.services.surveys.errors import SurveyError, SurveyProblem
from storage.models import Resident, SurveyRound
from storage.repositories import audit as audit_repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import surveys as repo


@dataclass(frozen=True)
class RoundState:
    code: str
    title: dict[str, str]
    number: int | None
    status: str | None
    completed: int = 0
    partial: int = 0
    opened_at: datetime | None = None
    invited: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


class SurveyRounds:
    _sessions: async_sessionmaker[AsyncSession]
    surveys: dict[str, Survey]

    # ---- rounds ----------------------------------------------------------------------------

    async def rounds(self) -> list[RoundState]:
        states = []
        async with self._sessions() as session:
            for code, survey in self.surveys.items():
                last = await repo.last_round(session, code)
                if last is None:
                    states.append(RoundState(code, survey.title, None, None))
                    continue
                counts = await repo.count_by_status(session, last.id)
                states.append(
                    RoundState(
                        code,
                        survey.title,
                        last.number,
                        last.status,
                        counts.get("completed", 0),
                        counts.get("in_progress", 0),
                        last.opened_at,
                        last.invited_at is not None,
                    )
                )
        return states

    async def open_round(self, actor: int, code: str) -> RoundState:
        if code not in self.surveys:
            raise SurveyError(SurveyProblem.UNKNOWN_SURVEY, code)
        async with self._sessions.begin() as session:
            if await repo.open_round(session, code) is not None:
                raise SurveyError(SurveyProblem.ALREADY_OPEN, code)
            last = await repo.last_round(session, code)
            number = (last.number + 1) if last else 1
            session.add(
                SurveyRound(survey_code=code, number=number, status="open", opened_by=actor)
            )
            await audit_repo.add_audit_entry(
                session, "survey.open", actor_telegram_id=actor, subject=f"{code}#{number}"
            )
        return next(s for s in await self.rounds() if s.code == code)

    async def close_round(self, actor: int, code: str) -> RoundState:
        async with self._sessions.begin() as session:
            current = await repo.open_round(session, code)
            if current is None:
                raise SurveyError(SurveyProblem.NOT_OPEN, code)
            current.status, current.closed_at, current.closed_by = "closed", _now(), actor
            await audit_repo.add_audit_entry(
                session,
                "survey.close",
                actor_telegram_id=actor,
                subject=f"{code}#{current.number}",
            )
        return next(s for s in await self.rounds() if s.code == code)

    async def invite(
        self, actor: int, code: str, notices: dict[str, Notice], default_locale: str
    ) -> int:
        """Invite every consenting resident to the open round, once, through the outbox."""
        async with self._sessions.begin() as session:
            current = await repo.open_round(session, code)
            if current is None:
                raise SurveyError(SurveyProblem.NOT_OPEN, code)
            if current.invited_at is not None:
                raise SurveyError(SurveyProblem.STALE, "already invited")
            current.invited_at = now = _now()
            query = select(Resident).where(
                Resident.consent_version.is_not(None),
                Resident.onboarding_step == "done",
                Resident.is_active.is_(True),
            )
            rows = []
            for resident in (await session.execute(query.order_by(Resident.id))).scalars():
                locale = resolve_locale(resident.locale, resident.language_code, default_locale)
                notice = notices[locale]
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"srvinv:{current.id}:{resident.id}",
                        kind="survey_invite",
                        resident_id=resident.id,
                        chat_id=resident.telegram_id,
                        text=notice.text,
                        reply_markup=notice.markup,
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
