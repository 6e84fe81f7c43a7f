"""Residents' data rights: everything stored about them (/mydata), and erasure (/forget, or
withdrawing consent), which keeps only anonymous answers that no longer point to anyone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ACTIVE
from bot.services.labs.signup import LabService
from bot.services.labs.types import LabError
from storage.models import (
    AuditEntry,
    LabRegistration,
    OutboxMessage,
    Resident,
    RoleGrant,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
)
from storage.repositories import audit as audit_repo
from storage.repositories import labs as labs_repo
from storage.repositories import residents as residents_repo

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class PrivacyService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], labs: LabService):
        self._sessions = sessions
        self.labs = labs

    async def export(self, telegram_id: int) -> dict[str, Any]:
        """Everything the bot holds about one resident, as plain JSON-ready data."""
        async with self._sessions.begin() as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            data: dict[str, Any] = {
                "generated_at": datetime.now(UTC).isoformat(),
                "telegram_id": telegram_id,
            }
            if resident is None:
                data["profile"] = None
                return data
            data["profile"] = {
                "language_chosen": resident.locale,
                "telegram_language": resident.language_code,
                "consent_version": resident.consent_version,
                "consented_at": _iso(resident.consented_at),
                "municipality": resident.municipality,
                "age_band": resident.age_band,
                "status": resident.status,
                "topics": sorted(await residents_repo.list_topics(session, resident.id)),
                "onboarding_step": resident.onboarding_step,
                "reachable": resident.is_active,
                "first_seen": _iso(resident.created_at),
            }
            roles = await session.execute(
                select(RoleGrant.role, RoleGrant.granted_at).where(
                    RoleGrant.telegram_id == telegram_id
                )
            )
            data["roles"] = [{"role": r, "since": _iso(at)} for r, at in roles.all()]
            data["lab_registrations"] = [
                {
                    "lab": lab.title_en,
                    "lab_sl": lab.title_sl,
                    "starts_at": _iso(lab.starts_at),
                    "status": reg.status,
                    "seats": reg.seats,
                    "checkin_code": reg.checkin_code,
                    "checked_in_at": _iso(reg.checked_in_at),
                    "name_shown_to_organisers": reg.display_name if reg.show_name else None,
                    "feedback": {
                        "useful": reg.feedback_useful,
                        "would_come_again": reg.feedback_again,
                        "comment": reg.feedback_text,
                    }
                    if reg.feedback_at
                    else None,
                }
                for reg, lab in await labs_repo.resident_registrations(session, resident.id)
            ]
            data["survey_responses"] = await self._responses(session, resident.id)
            data["survey_responses_note"] = (
                "Responses you gave anonymously are not linked to you, so they cannot be "
                "listed here or deleted."
            )
            messages = await session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.resident_id == resident.id)
                .order_by(OutboxMessage.id)
            )
            data["messages_from_the_bot"] = [
                {
                    "kind": m.kind,
                    "status": m.status,
                    "queued_at": _iso(m.created_at),
                    "sent_at": _iso(m.sent_at),
                    "text": m.text,
                }
                for m in messages.scalars()
            ]
            audit = await session.execute(
                select(AuditEntry)
                .where(AuditEntry.actor_telegram_id == telegram_id)
                .order_by(AuditEntry.id)
            )
            data["audit_log"] = [
                {"at": _iso(e.at), "action": e.action, "subject": e.subject}
                for e in audit.scalars()
            ]
            await audit_repo.add_audit_entry(
                session, "privacy.export", actor_telegram_id=telegram_id
            )
            return data

    async def _responses(self, session: AsyncSession, resident_id: int) -> list[dict[str, Any]]:
        rows = await session.execute(
            select(SurveyResponse, SurveyRound)
            .join(SurveyRound, SurveyRound.id == SurveyResponse.round_id)
            .where(SurveyResponse.resident_id == resident_id)
            .order_by(SurveyResponse.id)
        )
        found = []
        for response, round_ in rows.all():
            answers = await session.execute(
                select(SurveyAnswer.question_code, SurveyAnswer.value, SurveyAnswer.other_text)
                .where(SurveyAnswer.response_id == response.id)
                .order_by(SurveyAnswer.id)
            )
            found.append(
                {
                    "survey": round_.survey_code,
                    "round": round_.number,
                    "status": response.status,
                    "completed_at": _iso(response.completed_at),
                    "answers": {
                        code: ({"value": value, "other": other} if other else value)
                        for code, value, other in answers.all()
                    },
                }
            )
        return found

    async def forget(self, telegram_id: int) -> bool:
        """Erase the resident: profile, sign-ups (their seats go to the waitlist), the link to
        their survey answers, their queued and sent messages. False if nothing was stored."""
        await self._leave_labs(telegram_id)
        async with self._sessions.begin() as session:
            resident = await residents_repo.get_resident(session, telegram_id, lock=True)
            if resident is None:
                return False
            await self._erase(session, resident)
            await session.execute(delete(Resident).where(Resident.id == resident.id))
            # The audit log records that an erasure happened, not whose.
            await audit_repo.add_audit_entry(session, "privacy.forget", actor_telegram_id=None)
        log.info("a resident was forgotten at their request")
        return True

    async def withdraw(self, telegram_id: int) -> None:
        """Withdrawing consent erases the same; the bare row stays to remember the choice."""
        await self._leave_labs(telegram_id)
        async with self._sessions.begin() as session:
            resident = await residents_repo.get_resident(session, telegram_id, lock=True)
            if resident is not None:
                await self._erase(session, resident)

    async def _leave_labs(self, telegram_id: int) -> None:
        """Active sign-ups are cancelled the normal way first, so freed seats are offered."""
        async with self._sessions() as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is None:
                return
            active = await session.execute(
                select(LabRegistration.lab_id).where(
                    LabRegistration.resident_id == resident.id,
                    LabRegistration.status.in_(list(ACTIVE)),
                )
            )
            lab_ids = list(active.scalars())
        for lab_id in lab_ids:
            try:
                await self.labs.cancel(lab_id, telegram_id)
            except LabError as exc:  # a lab that has started: its row goes below anyway
                log.info("erasure: sign-up for lab %s not cancelled normally: %s", lab_id, exc)

    async def _erase(self, session: AsyncSession, resident: Resident) -> None:
        await session.execute(
            delete(LabRegistration).where(LabRegistration.resident_id == resident.id)
        )
        # Unfinished answers go; finished ones stay, anonymous, and no longer point to anyone.
        unfinished = select(SurveyResponse.id).where(
            SurveyResponse.resident_id == resident.id, SurveyResponse.status != "completed"
        )
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(unfinished)))
        await session.execute(
            delete(SurveyResponse).where(
                SurveyResponse.resident_id == resident.id,
                SurveyResponse.status != "completed",
            )
        )
        await session.execute(
            update(SurveyResponse)
            .where(SurveyResponse.resident_id == resident.id)
            .values(resident_id=None, anonymous=True)
        )
        await session.execute(delete(OutboxMessage).where(OutboxMessage.resident_id == resident.id))
        await residents_repo.delete_topics(session, resident.id)
        await residents_repo.update_resident(
            session,
            resident.telegram_id,
            municipality=None,
            age_band=None,
            status=None,
            start_payload=None,
            language_code=None,
            awaiting=None,
        )
