"""The seat rules every lab operation shares: the lab's lock, offers to the waitlist, fill
alerts, and queueing the messages they cause, in the caller's transaction.

Every change to a lab's seats happens inside one transaction holding the lab's row lock
(FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), so the seat counter
always equals the seats held by confirmed and offered registrations, and nobody is offered
a seat twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import LabStatus, RegistrationStatus
from bot.i18n import I18n, Translator
from bot.services.labs import notices
from bot.services.labs.types import (
    LabError,
    LabProblem,
    RegistrationView,
    lab_view,
    registration_view,
)
from bot.services.notice import Notice
from storage.models import Lab, LabRegistration, Resident, utcnow
from storage.repositories import labs as repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import residents as residents_repo

log = logging.getLogger(__name__)

FILL_ALERTS = (50, 80, 100)


@dataclass(frozen=True)
class LabConfig:
    offer_ttl: timedelta = timedelta(hours=12)
    feedback_report_after: timedelta = timedelta(hours=48)
    coordinator_chat_id: int | None = None
    min_group_size: int = 5


async def locked_lab(session: AsyncSession, lab_id: int) -> Lab:
    """A lab residents can see, with its row lock held until the transaction ends."""
    lab = await repo.get_lab(session, lab_id, lock=True)
    if lab is None or lab.status == LabStatus.DRAFT:
        raise LabError(LabProblem.NOT_FOUND, str(lab_id))
    return lab


async def consenting_resident(session: AsyncSession, telegram_id: int) -> Resident:
    resident = await residents_repo.get_resident(session, telegram_id)
    if resident is None or resident.consent_version is None:
        raise LabError(LabProblem.NOT_FOUND, "no consenting resident")
    return resident


async def view_of(session: AsyncSession, reg: LabRegistration) -> RegistrationView:
    """A registration's view, with its place on the waitlist."""
    position = None
    if reg.status == RegistrationStatus.WAITLISTED:
        position = await repo.waitlist_position(session, reg.lab_id, reg.ticket)
    return registration_view(reg, position)


def translator_for(i18n: I18n, resident: Resident) -> Translator:
    return i18n.resolve(resident.locale, resident.language_code)


async def queue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    chat_id: int,
    notice: Notice,
    resident_id: int | None = None,
    urgent: bool = True,
) -> int:
    """One message for the delivery engine; `key` makes it idempotent."""
    row = outbox_repo.outbox_row(
        key=key,
        kind=kind,
        chat_id=chat_id,
        text=notice.text,
        reply_markup=notice.reply_markup,
        resident_id=resident_id,
        urgent=urgent,
        now=utcnow(),
    )
    return await outbox_repo.add_outbox_messages(session, [row])


async def queue_each(
    session: AsyncSession,
    i18n: I18n,
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
        queued += await queue(
            session,
            key=key(reg),
            kind=kind,
            chat_id=resident.telegram_id,
            resident_id=resident.id,
            notice=notice(translator_for(i18n, resident), reg),
            urgent=urgent,
        )
    return queued


async def offer_free_seats(
    session: AsyncSession, lab: Lab, now: datetime, config: LabConfig, i18n: I18n
) -> int:
    """Hold free seats for the waitlist in ticket order (skipping those who need more
    seats than are free), each with an offer that lapses after the configured time."""
    if lab.capacity is None or lab.status != LabStatus.PUBLISHED:
        return 0
    assert lab.starts_at is not None
    free = lab.capacity - lab.seats_taken
    if now >= lab.starts_at or free <= 0:
        return 0
    offered = 0
    waiting = await repo.list_registrations(session, lab.id, (RegistrationStatus.WAITLISTED,))
    for reg in waiting:
        if reg.seats > free:
            continue
        reg.status = RegistrationStatus.OFFERED
        reg.offer_expires_at = min(now + config.offer_ttl, lab.starts_at)
        lab.seats_taken += reg.seats
        free -= reg.seats
        offered += 1
        resident = await session.get(Resident, reg.resident_id)
        if resident is not None:
            await queue(
                session,
                key=f"laboffer:{reg.id}:{reg.ticket}",
                kind="lab_offer",
                chat_id=resident.telegram_id,
                resident_id=resident.id,
                notice=notices.offer(
                    translator_for(i18n, resident), lab_view(lab), registration_view(reg)
                ),
            )
        log.info("lab %s: seat offered to registration %s", lab.id, reg.id)
        if free <= 0:
            break
    return offered


async def expire_offer(
    session: AsyncSession,
    lab: Lab,
    reg: LabRegistration,
    now: datetime,
    config: LabConfig,
    i18n: I18n,
) -> None:
    """An offer lapsed: the resident is told, and the seat passes to the next who fits."""
    reg.status, reg.offer_expires_at = RegistrationStatus.EXPIRED, None
    lab.seats_taken -= reg.seats
    resident = await session.get(Resident, reg.resident_id)
    if resident is not None and resident.is_active:
        await queue(
            session,
            key=f"labexp:{reg.id}:{reg.ticket}",
            kind="lab_offer_expired",
            chat_id=resident.telegram_id,
            resident_id=resident.id,
            notice=notices.offer_expired(translator_for(i18n, resident), lab_view(lab)),
        )
    log.info("lab %s: offer %s expired", lab.id, reg.id)
    await offer_free_seats(session, lab, now, config, i18n)


async def alert_fill(session: AsyncSession, lab: Lab, config: LabConfig, i18n: I18n) -> None:
    """Tell the coordinators when a lab reaches 50 %, 80 % and 100 % (each once)."""
    if not lab.capacity:
        return
    percent = lab.seats_taken * 100 // lab.capacity
    crossed = [t for t in FILL_ALERTS if percent >= t and t not in (lab.alerts_sent or [])]
    if not crossed:
        return
    lab.alerts_sent = sorted({*(lab.alerts_sent or []), *crossed})
    chat = config.coordinator_chat_id
    if chat is None:
        log.info("lab %s is %d%% full (no coordinator chat configured)", lab.id, percent)
        return
    await queue(
        session,
        key=f"labfill:{lab.id}:{max(crossed)}",
        kind="lab_alert",
        chat_id=chat,
        notice=notices.fill_alert(i18n.get(None), lab_view(lab), max(crossed)),
        urgent=False,
    )
