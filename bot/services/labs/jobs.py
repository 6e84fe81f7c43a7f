"""Timed lab work, read from the database on every tick, so a restart rebuilds it all:
reminders, lapsing seat offers, feedback questions and the coordinators' feedback report."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import LabStatus, RegistrationStatus
from bot.i18n import I18n
from bot.services.labs import notices, seats
from bot.services.labs.parsing import REMINDER_HOURS_MAX
from bot.services.labs.records import feedback_summary
from bot.services.labs.seats import LabConfig
from bot.services.labs.types import lab_view, registration_view
from storage.models import Lab, utcnow
from storage.repositories import audit as audit_repo
from storage.repositories import labs as repo

log = logging.getLogger(__name__)

# Labs that ended longer ago than this get no feedback question (e.g. after long downtime).
FEEDBACK_WINDOW = timedelta(days=3)

CONFIRMED = (RegistrationStatus.CONFIRMED,)


class LabJobs:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        config: LabConfig | None = None,
        retention: timedelta = timedelta(days=180),
    ):
        self._sessions = sessions
        self.i18n = i18n
        self.config = config or LabConfig()
        self.retention = retention

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        now = now or utcnow()
        return {
            "expired": await self.expire_offers(now),
            "reminders": await self.send_reminders(now),
            "feedback": await self.ask_feedback(now),
            "reports": await self.report_feedback(now),
            "retention": await self.apply_retention(now),
        }

    async def expire_offers(self, now: datetime | None = None) -> int:
        """Offers past their time lapse; each seat passes to the next on the waitlist."""
        now = now or utcnow()
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
                if reg.status != RegistrationStatus.OFFERED or reg.offer_expires_at is None:
                    continue  # accepted or declined meanwhile
                if reg.offer_expires_at > now:
                    continue
                await seats.expire_offer(session, lab, reg, now, self.config, self.i18n)
                expired += 1
        return expired

    async def send_reminders(self, now: datetime | None = None) -> int:
        """Each reminder once: of several missed during downtime only the latest goes out,
        and none once the lab has started."""
        now = now or utcnow()
        horizon = now + timedelta(hours=REMINDER_HOURS_MAX)
        async with self._sessions() as session:
            candidates = [
                lab.id
                for lab in await repo.list_labs(
                    session, starts_after=now - timedelta(days=1), starts_before=horizon
                )
                if set(lab.reminder_minutes or ()) - set(lab.reminders_done or ())
            ]
        queued = 0
        for lab_id in candidates:
            async with self._sessions.begin() as session:
                lab = await repo.get_lab(session, lab_id, lock=True)
                if lab is None or lab.status != LabStatus.PUBLISHED or lab.starts_at is None:
                    continue
                queued += await self._remind(session, lab, now)
        return queued

    async def _remind(self, session: AsyncSession, lab: Lab, now: datetime) -> int:
        assert lab.starts_at is not None
        done = set(lab.reminders_done or ())
        due = [
            m
            for m in lab.reminder_minutes or ()
            if m not in done and lab.starts_at - timedelta(minutes=m) <= now
        ]
        if not due:
            return 0
        lab.reminders_done = sorted(done | set(due), reverse=True)
        if now >= lab.starts_at:
            log.info("lab %s: reminders %s skipped, the lab has started", lab.id, due)
            return 0
        offset = min(due)
        view = lab_view(lab)
        stamp = int(lab.starts_at.timestamp())
        queued = await seats.queue_each(
            session,
            self.i18n,
            await repo.recipients(session, lab.id, CONFIRMED),
            key=lambda reg: f"labrem:{lab.id}:{offset}:{stamp}:{reg.id}",
            kind="lab_reminder",
            notice=lambda tr, reg: notices.reminder(tr, view, registration_view(reg)),
        )
        log.info("lab %s: %d reminders (%d min before) queued", lab.id, queued, offset)
        return queued

    async def ask_feedback(self, now: datetime | None = None) -> int:
        """After a lab ends: those checked in (or, if nobody was, everyone confirmed)."""
        now = now or utcnow()
        async with self._sessions() as session:
            ended = [
                lab.id
                for lab in await repo.list_labs(session, ends_before=now)
                if lab.feedback_requested_at is None
            ]
        queued = 0
        for lab_id in ended:
            async with self._sessions.begin() as session:
                lab = await repo.get_lab(session, lab_id, lock=True)
                if lab is None or lab.feedback_requested_at is not None or lab.ends_at is None:
                    continue
                lab.feedback_requested_at = now
                if now - lab.ends_at > FEEDBACK_WINDOW:
                    continue
                attendees = await repo.recipients(session, lab.id, CONFIRMED)
                if any(reg.checked_in_at is not None for reg, _ in attendees):
                    attendees = [(r, p) for r, p in attendees if r.checked_in_at is not None]
                view = lab_view(lab)
                queued += await seats.queue_each(
                    session,
                    self.i18n,
                    attendees,
                    key=lambda reg, lab_id=lab.id: f"labfb:{lab_id}:{reg.id}",
                    kind="lab_feedback",
                    notice=lambda tr, reg, view=view: notices.feedback_request(
                        tr, view, registration_view(reg)
                    ),
                    urgent=False,
                )
        return queued

    async def report_feedback(self, now: datetime | None = None) -> int:
        """Some time after the question, the coordinators get the answers in aggregate."""
        now = now or utcnow()
        config = self.config
        if config.coordinator_chat_id is None:
            return 0
        async with self._sessions() as session:
            due = [
                lab.id
                for lab in await repo.list_labs(session, ends_before=now)
                if lab.feedback_requested_at is not None
                and lab.feedback_reported_at is None
                and lab.feedback_requested_at + config.feedback_report_after <= now
            ]
        sent = 0
        for lab_id in due:
            async with self._sessions.begin() as session:
                lab = await repo.get_lab(session, lab_id, lock=True)
                if lab is None or lab.feedback_reported_at is not None:
                    continue
                lab.feedback_reported_at = now
                summary = await feedback_summary(session, lab.id)
                notice = notices.feedback_report(
                    self.i18n.get(None), lab_view(lab), summary, config.min_group_size
                )
                sent += await seats.queue(
                    session,
                    key=f"labfbr:{lab.id}",
                    kind="lab_feedback_report",
                    chat_id=config.coordinator_chat_id,
                    notice=notice,
                    urgent=False,
                )
        return sent

    async def apply_retention(self, now: datetime | None = None) -> int:
        """Registrations of labs that ended longer ago than the retention period are deleted;
        the lab keeps only counts (confirmed, checked in, by municipality). Returns how many
        registrations went."""
        now = now or utcnow()
        async with self._sessions() as session:
            due = await repo.labs_to_retain(session, ended_before=now - self.retention)
        deleted = 0
        for lab_id in due:
            async with self._sessions.begin() as session:
                lab = await repo.get_lab(session, lab_id, lock=True)
                if lab is None or lab.retained is not None:
                    continue
                rows = await repo.recipients_all(session, lab.id)
                confirmed = [(r, p) for r, p in rows if r.status == RegistrationStatus.CONFIRMED]
                by_municipality: dict[str, int] = {}
                for reg, resident in confirmed:
                    if reg.checked_in_at is not None and resident.municipality:
                        key = resident.municipality
                        by_municipality[key] = by_municipality.get(key, 0) + 1
                lab.retained = {
                    "confirmed": len(confirmed),
                    "checked_in": sum(1 for r, _ in confirmed if r.checked_in_at is not None),
                    "checked_in_by_municipality": by_municipality,
                    "feedback_answers": sum(1 for r, _ in confirmed if r.feedback_at),
                }
                gone = await repo.delete_registrations(session, lab.id)
                deleted += gone
                await audit_repo.add_audit_entry(
                    session,
                    "privacy.retention",
                    actor_telegram_id=None,
                    subject=str(lab.id),
                    details={"registrations": gone},
                )
        return deleted
