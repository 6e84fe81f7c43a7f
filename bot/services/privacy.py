"""Residents' data rights: everything stored about them (/mydata), and erasure (/forget, or
withdrawing consent), which keeps only anonymous answers that no longer point to anyone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.conversations.service import ConversationService
from bot.services.labs.signup import LabService
from bot.services.labs.types import LabError
from bot.services.residents import ResidentService, ResidentView
from bot.services.surveys.responses import ResponseService
from storage.models import Lab, LabRegistration, OutboxMessage, Resident
from storage.repositories import audit as audit_repo
from storage.repositories import ideas as ideas_repo
from storage.repositories import labs as labs_repo
from storage.repositories import privacy as repo
from storage.repositories import residents as residents_repo
from storage.repositories import stories as stories_repo

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class PrivacyService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        residents: ResidentService,
        labs: LabService,
        responses: ResponseService,
        conversations: ConversationService | None = None,
    ):
        self._sessions = sessions
        self.residents = residents
        self.labs = labs
        self.responses = responses
        self.conversations = conversations

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
            data["profile"] = await _profile(session, resident)
            data["roles"] = [
                {"role": role, "since": _iso(at)}
                for role, at in await repo.list_role_grants(session, telegram_id)
            ]
            data["lab_registrations"] = [
                _registration(reg, lab)
                for reg, lab in await labs_repo.resident_registrations(session, resident.id)
            ]
            data["survey_responses"] = await _responses(session, resident.id)
            data["survey_responses_note"] = (
                "Responses you gave anonymously are not linked to you, so they cannot be "
                "listed here or deleted. What is kept is only that you took part in a round "
                "(so that nobody answers twice), listed below; /forget erases it too."
            )
            data["survey_rounds_taken_part_in"] = await self._rounds_taken(session, telegram_id)
            data.update(await _ideas(session, resident.id))
            if self.conversations is not None:
                data["conversations"] = await self.conversations.export_in(session, resident.id)
                data["conversations_note"] = (
                    "Your votes are kept under a random participant number. The link between "
                    "you and that number is listed here while a conversation is open; it is "
                    "erased when the conversation closes (or by /forget), and the votes stay "
                    "as anonymous data."
                )
            data["messages_from_the_bot"] = [
                _message(m) for m in await repo.list_messages(session, resident.id)
            ]
            data["as_coordinator"] = await repo.list_authored(session, telegram_id)
            data["audit_log"] = [
                {"at": _iso(e.at), "action": e.action, "subject": e.subject}
                for e in await repo.list_audit_entries(session, telegram_id)
            ]
            await audit_repo.add_audit_entry(
                session, "privacy.export", actor_telegram_id=telegram_id
            )
            return data

    async def forget(self, telegram_id: int) -> bool:
        """Erase the resident: profile, sign-ups (their seats go to the waitlist), the link to
        their survey answers, their queued and sent messages. False if nothing was stored."""
        await self._leave_labs(telegram_id)
        async with self._sessions.begin() as session:
            resident = await residents_repo.get_resident(session, telegram_id, lock=True)
            if resident is None:
                return False
            await _erase(session, resident)
            await self.responses.forget_in(session, telegram_id)
            if self.conversations is not None:
                await self.conversations.forget_in(session, resident.id, telegram_id)
            await session.execute(delete(Resident).where(Resident.id == resident.id))
            await repo.unlink_telegram_id(session, telegram_id)
            # The audit log records that an erasure happened, not whose.
            await audit_repo.add_audit_entry(session, "privacy.forget", actor_telegram_id=None)
        log.info("a resident was forgotten at their request")
        return True

    async def withdraw(self, telegram_id: int) -> ResidentView:
        """Withdrawing consent erases the same as /forget in one transaction, after the lab
        cancellations; the bare row stays to remember the choice."""
        await self._leave_labs(telegram_id)
        async with self._sessions.begin() as session:
            resident = await residents_repo.get_resident(session, telegram_id, lock=True)
            assert resident is not None, "the gate creates the resident first"
            await repo.delete_activity(session, resident.id)
            await ideas_repo.forget_resident(session, resident.id)
            await stories_repo.forget_resident(session, resident.id)
            await self.responses.forget_in(session, telegram_id)
            if self.conversations is not None:
                await self.conversations.forget_in(session, resident.id, telegram_id)
            return await self.residents.decline_in(session, telegram_id)

    async def _rounds_taken(self, session: AsyncSession, telegram_id: int) -> list[dict[str, Any]]:
        taken = set(await self.responses.participated_in(session, telegram_id))
        return [
            {"survey": round_.survey_code, "round": round_.number}
            for round_ in await repo.list_rounds(session)
            if round_.id in taken
        ]

    async def _leave_labs(self, telegram_id: int) -> None:
        """Active sign-ups are cancelled the normal way first, so freed seats are offered."""
        async with self._sessions() as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is None:
                return
            lab_ids = await repo.list_active_lab_ids(session, resident.id)
        for lab_id in lab_ids:
            try:
                await self.labs.cancel(lab_id, telegram_id)
            except LabError as exc:  # a lab that has started: its row goes below anyway
                log.info("erasure: sign-up for lab %s not cancelled normally: %s", lab_id, exc)


async def _erase(session: AsyncSession, resident: Resident) -> None:
    await repo.delete_activity(session, resident.id)
    await ideas_repo.forget_resident(session, resident.id)
    await stories_repo.forget_resident(session, resident.id)
    await residents_repo.clear_profile(session, resident, awaiting=None)


async def _profile(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    return {
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


def _registration(reg: LabRegistration, lab: Lab) -> dict[str, Any]:
    feedback = None
    if reg.feedback_at:
        feedback = {
            "useful": reg.feedback_useful,
            "would_come_again": reg.feedback_again,
            "comment": reg.feedback_text,
        }
    return {
        "lab": lab.title_en,
        "lab_sl": lab.title_sl,
        "starts_at": _iso(lab.starts_at),
        "status": reg.status,
        "seats": reg.seats,
        "checkin_code": reg.checkin_code,
        "checked_in_at": _iso(reg.checked_in_at),
        "name_shown_to_organisers": reg.display_name if reg.show_name else None,
        "feedback": feedback,
    }


def _message(m: OutboxMessage) -> dict[str, Any]:
    return {
        "kind": m.kind,
        "status": m.status,
        "queued_at": _iso(m.created_at),
        "sent_at": _iso(m.sent_at),
        "text": m.text,
    }


async def _responses(session: AsyncSession, resident_id: int) -> list[dict[str, Any]]:
    found = []
    for response, round_ in await repo.list_responses(session, resident_id):
        answers = await repo.list_answers(session, response.id)
        found.append(
            {
                "survey": round_.survey_code,
                "round": round_.number,
                "status": response.status,
                "completed_at": _iso(response.completed_at),
                "answers": {
                    code: ({"value": value, "other": other} if other else value)
                    for code, value, other in answers
                },
            }
        )
    return found


async def _ideas(session: AsyncSession, resident_id: int) -> dict[str, Any]:
    """Ideas written (drafts too) and supported; /forget deletes drafts and supports and
    removes the author's name from the rest (the author may also delete an idea in /ideas)."""
    return {
        "ideas_written": [
            {
                "idea": idea.id,
                "status": idea.status,
                "title": idea.title,
                "text": idea.text,
                "theme": idea.topic,
                "municipality": idea.municipality,
                "has_photo": idea.photo_file_id is not None,
                "reject_reason": idea.reject_reason,
                "official_answer": idea.answer,
                "created_at": _iso(idea.created_at),
                "published_at": _iso(idea.published_at),
            }
            for idea in await ideas_repo.list_authored(session, resident_id)
        ],
        "stories_written": [
            {
                "story": story.id,
                "status": story.status,
                "title": story.title_sl or story.title_en,
                "text": story.text_sl or story.text_en,
                "theme": story.topic,
                "reject_reason": story.reject_reason,
                "created_at": _iso(story.created_at),
                "published_at": _iso(story.published_at),
            }
            for story in await stories_repo.list_authored(session, resident_id)
        ],
        "ideas_supported": [
            {"idea": idea.id, "title": idea.title, "since": _iso(support.created_at)}
            for support, idea in await ideas_repo.list_supported(session, resident_id)
        ],
    }
