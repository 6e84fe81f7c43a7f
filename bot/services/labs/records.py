"""The records kept of a lab's participants: names shown, check-in, feedback, the roster."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.codec import awaiting
from bot.domain import ACTIVE, LabStatus, RegistrationStatus
from bot.redact import scrub
from bot.services.labs.seats import consenting_resident, locked_lab, view_of
from bot.services.labs.types import (
    FEEDBACK_TEXT_MAX,
    FeedbackSummary,
    LabAwaiting,
    LabError,
    LabProblem,
    LabView,
    RegistrationView,
    Roster,
    RosterEntry,
    lab_view,
    registration_view,
)
from storage.models import Resident, utcnow
from storage.repositories import audit as audit_repo
from storage.repositories import labs as repo

CHECKIN_BEFORE = timedelta(hours=12)
CHECKIN_AFTER = timedelta(hours=24)


class LabRecords:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions

    async def set_show_name(
        self, lab_id: int, telegram_id: int, show: bool, name: str | None
    ) -> RegistrationView:
        """Whether coordinators may see the resident's name on the participants' list."""
        async with self._sessions.begin() as session:
            resident = await consenting_resident(session, telegram_id)
            reg = await repo.get_registration(session, lab_id, resident.id)
            if reg is None or reg.status not in ACTIVE:
                raise LabError(LabProblem.NOT_SIGNED_UP)
            reg.show_name = show
            reg.display_name = (name or "")[:128] if show else None
            await session.flush()
            return await view_of(session, reg)

    async def check_in(
        self, code: str, actor: int, now: datetime | None = None
    ) -> tuple[LabView, RegistrationView, bool]:
        """Mark attendance by a registration's code; True when it was already recorded."""
        now = now or utcnow()
        code = code.strip().upper()
        async with self._sessions.begin() as session:
            reg = await repo.get_registration_by_code(session, code)
            if reg is None:
                raise LabError(LabProblem.UNKNOWN_CODE, code)
            lab = await locked_lab(session, reg.lab_id)
            await session.refresh(reg)
            if lab.status == LabStatus.CANCELLED:
                raise LabError(LabProblem.CANCELLED)
            if reg.status != RegistrationStatus.CONFIRMED:
                raise LabError(LabProblem.NO_SEAT, reg.status)
            assert lab.starts_at is not None and lab.ends_at is not None
            if not lab.starts_at - CHECKIN_BEFORE <= now <= lab.ends_at + CHECKIN_AFTER:
                raise LabError(LabProblem.NOT_NOW)
            already = reg.checked_in_at is not None
            if not already:
                reg.checked_in_at, reg.checked_in_by = now, actor
                await audit_repo.add_audit_entry(
                    session,
                    "lab.checkin",
                    actor_telegram_id=actor,
                    subject=str(lab.id),
                    details={"registration": reg.id},
                )
            await session.flush()
            return lab_view(lab), registration_view(reg), already

    async def give_feedback(
        self,
        reg_id: int,
        telegram_id: int,
        *,
        useful: int | None = None,
        again: int | None = None,
        text: str | None = None,
        now: datetime | None = None,
    ) -> tuple[LabView, RegistrationView]:
        """Record one answer. After "again" the optional line is awaited from the resident,
        and once it comes nothing more is: both in the same transaction as the answer."""
        now = now or utcnow()
        async with self._sessions.begin() as session:
            resident = await consenting_resident(session, telegram_id)
            reg = await repo.get_registration_by_id(session, reg_id)
            if reg is None or reg.resident_id != resident.id:
                raise LabError(LabProblem.NOT_YOURS, str(reg_id))
            lab = await repo.get_lab(session, reg.lab_id)
            assert lab is not None and lab.ends_at is not None
            if now < lab.ends_at:
                raise LabError(LabProblem.NOT_ENDED)
            if reg.status != RegistrationStatus.CONFIRMED:
                raise LabError(LabProblem.NOT_CONFIRMED, reg.status)
            for name, value in (("useful", useful), ("again", again)):
                if value is not None and value not in (1, 2, 3):
                    raise LabError(LabProblem.BAD_VALUE, name)
            if useful is not None:
                reg.feedback_useful = useful
            if again is not None:
                reg.feedback_again = again
                resident.awaiting = awaiting(LabAwaiting.COMMENT, reg.id)
            if text is not None:
                reg.feedback_text = text.strip()[:FEEDBACK_TEXT_MAX] or None
                resident.awaiting = None
            reg.feedback_at = now
            await session.flush()
            return lab_view(lab), registration_view(reg)

    async def roster(self, lab_id: int) -> Roster:
        async with self._sessions() as session:
            lab = await repo.get_lab(session, lab_id)
            if lab is None or lab.status == LabStatus.DRAFT:
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            groups: dict[str, list[RosterEntry]] = {status: [] for status in ACTIVE}
            cancelled = 0
            for reg in await repo.list_registrations(session, lab.id):
                if reg.status not in groups:
                    cancelled += 1
                    continue
                resident = await session.get(Resident, reg.resident_id)
                waiting = groups[RegistrationStatus.WAITLISTED]
                position = len(waiting) + 1 if reg.status == RegistrationStatus.WAITLISTED else None
                entry = RosterEntry(
                    registration_view(reg, position),
                    reg.display_name if reg.show_name else None,
                    resident.municipality if resident else None,
                    resident.age_band if resident else None,
                )
                groups[reg.status].append(entry)
            summary = await feedback_summary(session, lab.id)
            return Roster(
                lab_view(lab, len(groups[RegistrationStatus.WAITLISTED])),
                tuple(groups[RegistrationStatus.CONFIRMED]),
                tuple(groups[RegistrationStatus.OFFERED]),
                tuple(groups[RegistrationStatus.WAITLISTED]),
                cancelled,
                summary,
            )

    async def roster_export(self, lab_id: int, actor: int) -> Roster:
        """The roster for a CSV document; every export is written to the audit log."""
        roster = await self.roster(lab_id)
        async with self._sessions.begin() as session:
            await audit_repo.add_audit_entry(
                session,
                "lab.roster_export",
                actor_telegram_id=actor,
                subject=str(lab_id),
                details={
                    "rows": len(roster.confirmed) + len(roster.offered) + len(roster.waitlisted)
                },
            )
        return roster

    async def invariant(self, lab_id: int) -> tuple[int, int]:
        """(the lab's seat counter, the seats its registrations hold): always equal."""
        async with self._sessions() as session:
            lab = await repo.get_lab(session, lab_id)
            assert lab is not None
            return lab.seats_taken, await repo.held_seats(session, lab_id)


async def feedback_summary(session: AsyncSession, lab_id: int) -> FeedbackSummary:
    """The answers of a lab's participants, counted; comments scrubbed of contact details."""
    regs = await repo.list_registrations(session, lab_id, (RegistrationStatus.CONFIRMED,))
    answered = [r for r in regs if r.feedback_at is not None]
    useful: dict[int, int] = {}
    again: dict[int, int] = {}
    for r in answered:
        if r.feedback_useful:
            useful[r.feedback_useful] = useful.get(r.feedback_useful, 0) + 1
        if r.feedback_again:
            again[r.feedback_again] = again.get(r.feedback_again, 0) + 1
    comments = tuple(scrub(r.feedback_text) for r in answered if r.feedback_text)
    return FeedbackSummary(len(answered), useful, again, comments)
