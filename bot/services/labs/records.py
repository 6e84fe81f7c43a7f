"""The records kept of a lab's participants: names shown, check-in, feedback, the roster.

A mixin of LabService (which owns the sessions, the lab lock and the resident lookup)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.redact import scrub
from bot.services.labs.types import (
    FeedbackSummary,
    LabError,
    LabProblem,
    LabView,
    RegistrationView,
    Roster,
    RosterEntry,
    lab_view,
    registration_view,
)
from storage.models import Lab, LabRegistration, Resident
from storage.repositories import audit as audit_repo
from storage.repositories import labs as repo

if TYPE_CHECKING:
    from bot.services.labs.seats import LabConfig

CHECKIN_BEFORE = timedelta(hours=12)
CHECKIN_AFTER = timedelta(hours=24)
FEEDBACK_TEXT_MAX = 500


def _now() -> datetime:
    return datetime.now(UTC)


class LabRecords:
    _sessions: async_sessionmaker[AsyncSession]
    config: LabConfig

    async def _locked(self, session: AsyncSession, lab_id: int) -> Lab:
        raise NotImplementedError

    async def _resident(self, session: AsyncSession, telegram_id: int) -> Resident:
        raise NotImplementedError

    async def _reg_view(self, session: AsyncSession, reg: LabRegistration) -> RegistrationView:
        raise NotImplementedError

    # ---- the names list --------------------------------------------------------------------

    async def set_show_name(
        self, lab_id: int, telegram_id: int, show: bool, name: str | None
    ) -> RegistrationView:
        """Whether coordinators may see the resident's name on the participants' list."""
        async with self._sessions.begin() as session:
            resident = await self._resident(session, telegram_id)
            reg = await repo.get_registration(session, lab_id, resident.id)
            if reg is None or reg.status not in repo.ACTIVE:
                raise LabError(LabProblem.NOT_SIGNED_UP)
            reg.show_name = show
            reg.display_name = (name or "")[:128] if show else None
            await session.flush()
            return await self._reg_view(session, reg)

    # ---- check-in --------------------------------------------------------------------------

    async def check_in(
        self, code: str, actor: int, now: datetime | None = None
    ) -> tuple[LabView, RegistrationView, bool]:
        """Mark attendance by a registration's code; True when it was already recorded."""
        now = now or _now()
        code = code.strip().upper()
        async with self._sessions.begin() as session:
            reg = await repo.get_registration_by_code(session, code)
            if reg is None:
                raise LabError(LabProblem.UNKNOWN_CODE, code)
            lab = await self._locked(session, reg.lab_id)
            await session.refresh(reg)
            if lab.status == "cancelled":
                raise LabError(LabProblem.CANCELLED)
            if reg.status != "confirmed":
                raise LabError(LabProblem.NOT_CONFIRMED, reg.status)
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

    # ---- feedback --------------------------------------------------------------------------

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
        now = now or _now()
        async with self._sessions.begin() as session:
            resident = await self._resident(session, telegram_id)
            reg = await repo.get_registration_by_id(session, reg_id)
            if reg is None or reg.resident_id != resident.id:
                raise LabError(LabProblem.NOT_YOURS, str(reg_id))
            lab = await repo.get_lab(session, reg.lab_id)
            assert lab is not None and lab.ends_at is not None
            if now < lab.ends_at:
                raise LabError(LabProblem.NOT_ENDED)
            if reg.status != "confirmed":
                raise LabError(LabProblem.NOT_CONFIRMED, reg.status)
            for name, value in (("useful", useful), ("again", again)):
                if value is not None and value not in (1, 2, 3):
                    raise LabError(LabProblem.BAD_VALUE, name)
            if useful is not None:
                reg.feedback_useful = useful
            if again is not None:
                reg.feedback_again = again
            if text is not None:
                reg.feedback_text = text.strip()[:FEEDBACK_TEXT_MAX] or None
            reg.feedback_at = now
            await session.flush()
            return lab_view(lab), registration_view(reg)

    async def feedback_summary(self, session: AsyncSession, lab_id: int) -> FeedbackSummary:
        regs = await repo.list_registrations(session, lab_id, ("confirmed",))
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

    # ---- the roster ------------------------------------------------------------------------

    async def roster(self, lab_id: int) -> Roster:
        async with self._sessions() as session:
            lab = await repo.get_lab(session, lab_id)
            if lab is None or lab.status == "draft":
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            groups: dict[str, list[RosterEntry]] = {
                "confirmed": [],
                "offered": [],
                "waitlisted": [],
            }
            cancelled = 0
            position = 0
            for reg in await repo.list_registrations(session, lab.id):
                if reg.status not in groups:
                    cancelled += 1
                    continue
                resident = await session.get(Resident, reg.resident_id)
                if reg.status == "waitlisted":
                    position += 1
                entry = RosterEntry(
                    registration_view(reg, position if reg.status == "waitlisted" else None),
                    reg.display_name if reg.show_name else None,
                    resident.municipality if resident else None,
                    resident.age_band if resident else None,
                )
                groups[reg.status].append(entry)
            summary = await self.feedback_summary(session, lab.id)
            return Roster(
                lab_view(lab, len(groups["waitlisted"])),
                tuple(groups["confirmed"]),
                tuple(groups["offered"]),
                tuple(groups["waitlisted"]),
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
