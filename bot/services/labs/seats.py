"""Sign-ups for labs: capacity, the waitlist, seat offers, check-in and feedback.

Every change to a lab's seats happens inside one transaction holding the lab's row lock
(FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), so the seat counter
always equals the seats held by confirmed and offered registrations, and nobody is offered
a seat twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import I18n, Translator, resolve_locale
from bot.services.labs.records import LabRecords
from bot.services.labs.types import (
    LabError,
    LabNotices,
    LabProblem,
    LabView,
    Notice,
    Outcome,
    RegistrationView,
    lab_view,
    registration_view,
)
from storage.models import Lab, LabRegistration, Resident
from storage.repositories import labs as repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import residents as residents_repo

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 6
FILL_ALERTS = (50, 80, 100)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LabConfig:
    offer_ttl: timedelta = timedelta(hours=12)
    feedback_report_after: timedelta = timedelta(hours=48)
    coordinator_chat_id: int | None = None
    k: int = 5


class Outbox:
    """Queues lab messages for the delivery engine, in the caller's transaction."""

    def __init__(self, i18n: I18n, notices: LabNotices):
        self.i18n = i18n
        self.notices = notices

    def locale_of(self, resident: Resident) -> str:
        return resolve_locale(resident.locale, resident.language_code, self.i18n.default_locale)

    async def queue(
        self,
        session: AsyncSession,
        *,
        key: str,
        kind: str,
        chat_id: int,
        notice: Notice,
        resident_id: int | None = None,
        urgent: bool = True,
        not_before: datetime | None = None,
    ) -> int:
        row = outbox_repo.outbox_row(
            key=key,
            kind=kind,
            chat_id=chat_id,
            text=notice.text,
            reply_markup=notice.markup,
            resident_id=resident_id,
            urgent=urgent,
            now=_now(),
            not_before=not_before,
        )
        return await outbox_repo.add_outbox_messages(session, [row])

    async def queue_each(
        self,
        session: AsyncSession,
        recipients: Sequence[tuple[LabRegistration, Resident]],
        *,
        key: Callable[[LabRegistration], str],
        kind: str,
        notice: Callable[[Translator, LabRegistration], Notice],
        urgent: bool = True,
    ) -> int:
        """One message per registration, each in its resident's language."""
        queued = 0
        for reg, resident in recipients:
            queued += await self.queue(
                session,
                key=key(reg),
                kind=kind,
                chat_id=resident.telegram_id,
                resident_id=resident.id,
                notice=notice(self.i18n.get(self.locale_of(resident)), reg),
                urgent=urgent,
            )
        return queued


class LabService(LabRecords):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        notices: LabNotices,
        config: LabConfig | None = None,
    ):
        self._sessions = sessions
        self.i18n = i18n
        self.config = config or LabConfig()
        self.outbox = Outbox(i18n, notices)
        self.notices = notices

    # ---- reading ---------------------------------------------------------------------------

    async def get(self, lab_id: int) -> LabView | None:
        async with self._sessions() as session:
            lab = await repo.get_lab(session, lab_id)
            if lab is None or lab.status == "draft":
                return None
            counts = await repo.count_by_status(session, [lab.id])
            return lab_view(lab, counts.get(lab.id, {}).get("waitlisted", 0))

    async def upcoming(
        self,
        now: datetime | None = None,
        *,
        hub: str | None = None,
        topic: str | None = None,
        limit: int = 20,
    ) -> list[LabView]:
        """Published labs that have not started, soonest first."""
        async with self._sessions() as session:
            labs = await repo.list_labs(session, starts_after=now or _now())
            labs = [
                lab
                for lab in labs
                if (hub is None or (lab.hub is not None and lab.hub.code == hub))
                and (topic is None or lab.topic == topic)
            ][:limit]
            counts = await repo.count_by_status(session, [lab.id for lab in labs])
            return [lab_view(lab, counts.get(lab.id, {}).get("waitlisted", 0)) for lab in labs]

    async def registration(self, lab_id: int, telegram_id: int) -> RegistrationView | None:
        async with self._sessions() as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is None:
                return None
            reg = await repo.get_registration(session, lab_id, resident.id)
            if reg is None:
                return None
            return await self._reg_view(session, reg)

    async def mine(self, telegram_id: int) -> list[tuple[LabView, RegistrationView]]:
        async with self._sessions() as session:
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is None:
                return []
            found = []
            for reg, lab in await repo.resident_registrations(session, resident.id):
                found.append((lab_view(lab), await self._reg_view(session, reg)))
            return found

    async def _reg_view(self, session: AsyncSession, reg: LabRegistration) -> RegistrationView:
        position = None
        if reg.status == "waitlisted":
            position = await repo.waitlist_position(session, reg.lab_id, reg.ticket)
        return registration_view(reg, position)

    # ---- signing up and leaving ------------------------------------------------------------

    async def _locked(self, session: AsyncSession, lab_id: int) -> Lab:
        lab = await repo.get_lab(session, lab_id, lock=True)
        if lab is None or lab.status == "draft":
            raise LabError(LabProblem.NOT_FOUND, str(lab_id))
        return lab

    async def _resident(self, session: AsyncSession, telegram_id: int) -> Resident:
        resident = await residents_repo.get_resident(session, telegram_id)
        if resident is None or resident.consent_version is None:
            raise LabError(LabProblem.NOT_FOUND, "no consenting resident")
        return resident

    async def sign_up(
        self,
        lab_id: int,
        telegram_id: int,
        *,
        guests: int = 0,
        version: int | None = None,
        now: datetime | None = None,
    ) -> Outcome:
        """Confirm at once while seats are free, else join the waitlist; never overbook."""
        now = now or _now()
        async with self._sessions.begin() as session:
            lab = await self._locked(session, lab_id)
            if lab.status == "cancelled":
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
            resident = await self._resident(session, telegram_id)
            reg = await repo.get_registration(session, lab.id, resident.id)
            if reg is not None and reg.status in repo.ACTIVE:
                raise LabError(LabProblem.ALREADY, reg.status)
            seats = 1 + guests
            lab.next_ticket += 1
            free = None if lab.capacity is None else lab.capacity - lab.seats_taken
            status = "confirmed" if free is None or free >= seats else "waitlisted"
            if reg is None:
                reg = LabRegistration(
                    lab_id=lab.id,
                    resident_id=resident.id,
                    checkin_code=await self._new_code(session),
                    show_name=False,
                )
                session.add(reg)
            reg.status, reg.seats, reg.ticket = status, seats, lab.next_ticket
            reg.offer_expires_at = None
            if status == "confirmed":
                lab.seats_taken += seats
                await self._alert_fill(session, lab)
            await session.flush()
            log.info("lab %s: resident %s %s (%d seats)", lab.id, resident.id, status, seats)
            return Outcome(lab_view(lab), await self._reg_view(session, reg))

    async def _new_code(self, session: AsyncSession) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if not await repo.code_exists(session, code):
                return code

    async def cancel(self, lab_id: int, telegram_id: int, now: datetime | None = None) -> Outcome:
        """Leave a lab or its waitlist; a freed seat is offered to the next who fits."""
        now = now or _now()
        async with self._sessions.begin() as session:
            lab = await self._locked(session, lab_id)
            resident = await self._resident(session, telegram_id)
            reg = await repo.get_registration(session, lab.id, resident.id)
            if reg is None or reg.status not in repo.ACTIVE:
                raise LabError(LabProblem.NOT_SIGNED_UP)
            assert lab.starts_at is not None
            if lab.status == "published" and now >= lab.starts_at:
                raise LabError(LabProblem.STARTED)
            held = reg.status in repo.HOLDING
            reg.status, reg.offer_expires_at = "cancelled", None
            promoted = 0
            if held:
                lab.seats_taken -= reg.seats
                promoted = await self._offer_free_seats(session, lab, now)
            await repo.cancel_queued_reminders(session, lab.id, resident.id)
            await session.flush()
            log.info("lab %s: resident %s cancelled, %d offers", lab.id, resident.id, promoted)
            return Outcome(lab_view(lab), registration_view(reg), promoted)

    async def answer_offer(
        self,
        reg_id: int,
        telegram_id: int,
        accept: bool,
        now: datetime | None = None,
    ) -> Outcome:
        now = now or _now()
        async with self._sessions.begin() as session:
            reg = await repo.get_registration_by_id(session, reg_id)
            resident = await self._resident(session, telegram_id)
            if reg is None or reg.resident_id != resident.id:
                raise LabError(LabProblem.NOT_YOURS, str(reg_id))
            lab = await self._locked(session, reg.lab_id)
            await session.refresh(reg)  # read again under the lab's lock
            if reg.status == "confirmed" and accept:
                raise LabError(LabProblem.ALREADY, "confirmed")
            if reg.status != "offered":
                raise LabError(LabProblem.NO_OFFER, reg.status)
            if reg.offer_expires_at is not None and now >= reg.offer_expires_at:
                await self._expire(session, lab, reg, now)
                raise LabError(LabProblem.OFFER_EXPIRED)
            promoted = 0
            reg.offer_expires_at = None
            if accept:
                reg.status = "confirmed"
            else:
                reg.status = "cancelled"
                lab.seats_taken -= reg.seats
                promoted = await self._offer_free_seats(session, lab, now)
            await session.flush()
            log.info("lab %s: offer %s %s", lab.id, reg.id, "accepted" if accept else "declined")
            return Outcome(lab_view(lab), registration_view(reg), promoted)

    async def expire_offers(self, now: datetime | None = None) -> int:
        """Offers past their time lapse; each seat passes to the next on the waitlist."""
        now = now or _now()
        async with self._sessions() as session:
            due = await repo.expired_offers(session, now)
        expired = 0
        for lab_id, reg_id in due:
            async with self._sessions.begin() as session:
                lab = await repo.get_lab(session, lab_id, lock=True)
                reg = await repo.get_registration_by_id(session, reg_id)
                if lab is None or reg is None:
                    continue
                await session.refresh(reg)
                if reg.status != "offered" or reg.offer_expires_at is None:
                    continue  # accepted or declined meanwhile
                if reg.offer_expires_at > now:
                    continue
                await self._expire(session, lab, reg, now)
                expired += 1
        return expired

    async def _expire(
        self, session: AsyncSession, lab: Lab, reg: LabRegistration, now: datetime
    ) -> None:
        reg.status, reg.offer_expires_at = "expired", None
        lab.seats_taken -= reg.seats
        resident = await session.get(Resident, reg.resident_id)
        if resident is not None and resident.is_active:
            tr = self.i18n.get(self.outbox.locale_of(resident))
            await self.outbox.queue(
                session,
                key=f"labexp:{reg.id}:{reg.ticket}",
                kind="lab_offer_expired",
                chat_id=resident.telegram_id,
                resident_id=resident.id,
                notice=self.notices.offer_expired(tr, lab_view(lab)),
            )
        log.info("lab %s: offer %s expired", lab.id, reg.id)
        await self._offer_free_seats(session, lab, now)

    async def _offer_free_seats(self, session: AsyncSession, lab: Lab, now: datetime) -> int:
        """Hold free seats for the waitlist in ticket order (skipping those who need more
        seats than are free), each with an offer that lapses after the configured time."""
        if lab.capacity is None or lab.status != "published":
            return 0
        assert lab.starts_at is not None
        if now >= lab.starts_at:
            return 0
        free = lab.capacity - lab.seats_taken
        offered = 0
        if free <= 0:
            return 0
        for reg in await repo.list_registrations(session, lab.id, ("waitlisted",)):
            if reg.seats > free:
                continue
            reg.status = "offered"
            reg.offer_expires_at = min(now + self.config.offer_ttl, lab.starts_at)
            lab.seats_taken += reg.seats
            free -= reg.seats
            offered += 1
            resident = await session.get(Resident, reg.resident_id)
            if resident is not None:
                tr = self.i18n.get(self.outbox.locale_of(resident))
                await self.outbox.queue(
                    session,
                    key=f"laboffer:{reg.id}:{reg.ticket}",
                    kind="lab_offer",
                    chat_id=resident.telegram_id,
                    resident_id=resident.id,
                    notice=self.notices.offer(tr, lab_view(lab), registration_view(reg)),
                )
            log.info("lab %s: seat offered to registration %s", lab.id, reg.id)
            if free <= 0:
                break
        return offered

    async def _alert_fill(self, session: AsyncSession, lab: Lab) -> None:
        """Tell the coordinators when a lab reaches 50 %, 80 % and 100 % (each once)."""
        if not lab.capacity:
            return
        percent = lab.seats_taken * 100 // lab.capacity
        crossed = [t for t in FILL_ALERTS if percent >= t and t not in (lab.alerts_sent or [])]
        if not crossed:
            return
        lab.alerts_sent = sorted({*(lab.alerts_sent or []), *crossed})
        chat = self.config.coordinator_chat_id
        if chat is None:
            log.info("lab %s is %d%% full (no coordinator chat configured)", lab.id, percent)
            return
        tr = self.i18n.get(None)
        await self.outbox.queue(
            session,
            key=f"labfill:{lab.id}:{max(crossed)}",
            kind="lab_alert",
            chat_id=chat,
            notice=self.notices.fill_alert(tr, lab_view(lab), max(crossed)),
            urgent=False,
        )
