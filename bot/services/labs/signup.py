"""Residents and labs: what is on, signing up (or onto the waitlist), leaving, seat offers."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ACTIVE, HOLDING, LabStatus, RegistrationStatus
from bot.i18n import I18n
from bot.services.labs import seats
from bot.services.labs.seats import LabConfig
from bot.services.labs.types import (
    LabError,
    LabProblem,
    LabView,
    RegistrationView,
    SeatChange,
    lab_view,
    registration_view,
)
from storage.db import reading
from storage.models import LabRegistration, utcnow
from storage.repositories import labs as repo
from storage.repositories import residents as residents_repo

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 6


class LabService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        config: LabConfig | None = None,
    ):
        self._sessions = sessions
        self.i18n = i18n
        self.config = config or LabConfig()

    async def get(self, lab_id: int) -> LabView | None:
        async with reading(self._sessions) as session:
            lab = await repo.get_lab(session, lab_id)
            if lab is None or lab.status == LabStatus.DRAFT:
                return None
            counts = await repo.count_by_status(session, [lab.id])
            return lab_view(lab, counts.get(lab.id, {}).get(RegistrationStatus.WAITLISTED, 0))

    async def upcoming(
        self,
        now: datetime | None = None,
        *,
        hub: str | None = None,
        topic: str | None = None,
        limit: int = 20,
    ) -> list[LabView]:
        """Published labs that have not started, soonest first."""
        async with reading(self._sessions) as session:
            labs = await repo.list_labs(session, starts_after=now or utcnow())
            labs = [
                lab
                for lab in labs
                if (hub is None or (lab.hub is not None and lab.hub.code == hub))
                and (topic is None or lab.topic == topic)
            ][:limit]
            counts = await repo.count_by_status(session, [lab.id for lab in labs])
            waiting = RegistrationStatus.WAITLISTED
            return [lab_view(lab, counts.get(lab.id, {}).get(waiting, 0)) for lab in labs]

    async def registration(self, lab_id: int, telegram_id: int) -> RegistrationView | None:
        async with reading(self._sessions) as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is None:
                return None
            reg = await repo.get_registration(session, lab_id, resident.id)
            if reg is None:
                return None
            return await seats.view_of(session, reg)

    async def mine(self, telegram_id: int) -> list[tuple[LabView, RegistrationView]]:
        async with reading(self._sessions) as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is None:
                return []
            found = []
            for reg, lab in await repo.resident_registrations(session, resident.id):
                found.append((lab_view(lab), await seats.view_of(session, reg)))
            return found

    async def sign_up(
        self,
        lab_id: int,
        telegram_id: int,
        *,
        guests: int = 0,
        version: int | None = None,
        now: datetime | None = None,
    ) -> SeatChange:
        """Confirm at once while seats are free, else join the waitlist; never overbook."""
        now = now or utcnow()
        async with self._sessions.begin() as session:
            lab = await seats.locked_lab(session, lab_id)
            if lab.status == LabStatus.CANCELLED:
                raise LabError(LabProblem.CANCELLED)
            if version is not None and version != lab.version:
                raise LabError(LabProblem.STALE, f"version {version} != {lab.version}")
            assert lab.starts_at is not None
            if now >= lab.starts_at:
                raise LabError(LabProblem.STARTED)
            if now >= (lab.deadline or lab.starts_at):
                raise LabError(LabProblem.CLOSED)
            if not 0 <= guests <= lab.guests:
                raise LabError(LabProblem.GUESTS, f"{guests} > {lab.guests}")
            resident = await seats.consenting_resident(session, telegram_id)
            reg = await repo.get_registration(session, lab.id, resident.id)
            if reg is not None and reg.status in ACTIVE:
                raise LabError(LabProblem.ALREADY, reg.status)
            wanted = 1 + guests
            lab.next_ticket += 1
            free = None if lab.capacity is None else lab.capacity - lab.seats_taken
            status = (
                RegistrationStatus.CONFIRMED
                if free is None or free >= wanted
                else RegistrationStatus.WAITLISTED
            )
            if reg is None:
                reg = LabRegistration(
                    lab_id=lab.id,
                    resident_id=resident.id,
                    checkin_code=await self._new_code(session),
                    show_name=False,
                )
                session.add(reg)
            reg.status, reg.seats, reg.ticket = status, wanted, lab.next_ticket
            reg.offer_expires_at = None
            if status == RegistrationStatus.CONFIRMED:
                lab.seats_taken += wanted
                await seats.alert_fill(session, lab, self.config, self.i18n)
            await session.flush()
            log.info("lab %s: resident %s %s (%d seats)", lab.id, resident.id, status, wanted)
            return SeatChange(lab_view(lab), await seats.view_of(session, reg))

    async def _new_code(self, session: AsyncSession) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if not await repo.code_exists(session, code):
                return code

    async def cancel(
        self, lab_id: int, telegram_id: int, now: datetime | None = None
    ) -> SeatChange:
        """Leave a lab or its waitlist; a freed seat is offered to the next who fits."""
        now = now or utcnow()
        async with self._sessions.begin() as session:
            lab = await seats.locked_lab(session, lab_id)
            resident = await seats.consenting_resident(session, telegram_id)
            reg = await repo.get_registration(session, lab.id, resident.id)
            if reg is None or reg.status not in ACTIVE:
                raise LabError(LabProblem.NOT_SIGNED_UP)
            assert lab.starts_at is not None
            if lab.status == LabStatus.PUBLISHED and now >= lab.starts_at:
                raise LabError(LabProblem.STARTED)
            held = reg.status in HOLDING
            reg.status, reg.offer_expires_at = RegistrationStatus.CANCELLED, None
            promoted = 0
            if held:
                lab.seats_taken -= reg.seats
                promoted = await seats.offer_free_seats(session, lab, now, self.config, self.i18n)
            await repo.cancel_queued_reminders(session, lab.id, resident.id)
            await session.flush()
            log.info("lab %s: resident %s cancelled, %d offers", lab.id, resident.id, promoted)
            return SeatChange(lab_view(lab), registration_view(reg), promoted)

    async def answer_offer(
        self,
        reg_id: int,
        telegram_id: int,
        accept: bool,
        now: datetime | None = None,
    ) -> SeatChange:
        now = now or utcnow()
        async with self._sessions.begin() as session:
            reg = await repo.get_registration_by_id(session, reg_id)
            resident = await seats.consenting_resident(session, telegram_id)
            if reg is None or reg.resident_id != resident.id:
                raise LabError(LabProblem.NOT_YOURS, str(reg_id))
            lab = await seats.locked_lab(session, reg.lab_id)
            await session.refresh(reg)  # read again under the lab's lock
            if reg.status == RegistrationStatus.CONFIRMED and accept:
                raise LabError(LabProblem.ALREADY, reg.status)
            if reg.status != RegistrationStatus.OFFERED:
                raise LabError(LabProblem.NO_OFFER, reg.status)
            if reg.offer_expires_at is not None and now >= reg.offer_expires_at:
                await seats.expire_offer(session, lab, reg, now, self.config, self.i18n)
                raise LabError(LabProblem.OFFER_EXPIRED)
            promoted = 0
            reg.offer_expires_at = None
            if accept:
                reg.status = RegistrationStatus.CONFIRMED
            else:
                reg.status = RegistrationStatus.CANCELLED
                lab.seats_taken -= reg.seats
                promoted = await seats.offer_free_seats(session, lab, now, self.config, self.i18n)
            await session.flush()
            log.info("lab %s: offer %s %s", lab.id, reg.id, "accepted" if accept else "declined")
            return SeatChange(lab_view(lab), registration_view(reg), promoted)
