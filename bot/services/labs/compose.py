"""Coordinators' side of labs: compose step by step, publish, edit, cancel, import a season."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ACTIVE, LabStatus, codes
from bot.i18n import I18n
from bot.services.labs import notices, parsing, seats
from bot.services.labs.seats import LabConfig
from bot.services.labs.types import (
    COMPOSE_ORDER,
    LabError,
    LabProblem,
    LabStep,
    LabView,
    lab_view,
)
from storage.models import Lab, utcnow
from storage.repositories import audit as audit_repo
from storage.repositories import hubs as hubs_repo
from storage.repositories import labs as repo

log = logging.getLogger(__name__)

# A change to these is news for everyone signed up.
NEWSWORTHY = {LabStep.START, LabStep.END, LabStep.HUB}


@dataclass(frozen=True)
class ImportProblem:
    row: int
    field: str
    error: parsing.InputError


class LabAdmin:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        config: LabConfig,
        tz: ZoneInfo,
    ):
        self._sessions = sessions
        self.i18n = i18n
        self.config = config
        self.tz = tz

    async def draft(self, author: int) -> LabView | None:
        async with self._sessions() as session:
            lab = await repo.get_draft(session, author)
            return lab_view(lab) if lab else None

    async def start(self, author: int, locale: str) -> tuple[LabView, bool]:
        """The author's draft, or a new one; True when it is new."""
        async with self._sessions.begin() as session:
            lab = await repo.get_draft(session, author)
            if lab is not None:
                return lab_view(lab), False
            lab = Lab(
                author_telegram_id=author,
                author_locale=locale,
                status=LabStatus.DRAFT,
                step=LabStep.TITLE_SL.value,
                reminder_minutes=list(parsing.DEFAULT_REMINDERS),
                guests=0,
                version=1,
                seats_taken=0,
                next_ticket=0,
                reminders_done=[],
                alerts_sent=[],
            )
            session.add(lab)
            await session.flush()
            await session.refresh(lab, ["hub"])
            return lab_view(lab), True

    async def discard(self, author: int, lab_id: int) -> bool:
        async with self._sessions.begin() as session:
            lab = await repo.get_draft(session, author)
            if lab is None or lab.id != lab_id:
                return False
            await session.delete(lab)
            return True

    async def set_field(
        self,
        actor: int,
        lab_id: int,
        step: LabStep,
        raw: str,
        *,
        now: datetime | None = None,
    ) -> tuple[LabView, bool]:
        """Parse `raw` for `step` and store it; returns the lab and whether residents were told.

        On a draft this advances to the next step (or back to the preview); on a published
        lab it is an edit: the version goes up, so buttons shown before are stale, a new
        time or place is announced to everyone signed up, and new seats go to the waitlist.
        """
        now = now or utcnow()
        async with self._sessions.begin() as session:
            lab = await repo.get_lab(session, lab_id, lock=True)
            if lab is None or lab.status == LabStatus.CANCELLED:
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            draft = lab.status == LabStatus.DRAFT
            if draft and lab.author_telegram_id != actor:
                raise LabError(LabProblem.NOT_YOURS, str(lab_id))
            if draft and lab.step not in (step.value, f"edit:{step.value}"):
                raise LabError(LabProblem.STALE, f"draft at {lab.step}, not {step.value}")
            if not draft and lab.starts_at is not None and now >= lab.starts_at:
                raise LabError(LabProblem.STARTED)
            await self._apply(session, lab, step, raw, now)
            told = False
            if draft:
                lab.step = self._next_step(lab, step).value
            else:
                lab.version += 1
                if step == LabStep.START:
                    lab.reminders_done = []
                if step in NEWSWORTHY:
                    told = await self._tell_registered(session, lab, step)
                if step == LabStep.CAPACITY:
                    await seats.offer_free_seats(session, lab, now, self.config, self.i18n)
                    await seats.alert_fill(session, lab, self.config, self.i18n)
                await audit_repo.add_audit_entry(
                    session,
                    "lab.edit",
                    actor_telegram_id=actor,
                    subject=str(lab.id),
                    details={"field": step.value},
                )
            await session.flush()
            await session.refresh(lab, ["hub"])
            return lab_view(lab), told

    @staticmethod
    def _next_step(lab: Lab, step: LabStep) -> LabStep:
        """The next step in order; after a change made from the preview, back to the preview."""
        if lab.step == f"edit:{step.value}":
            return LabStep.PREVIEW
        return COMPOSE_ORDER[COMPOSE_ORDER.index(step) + 1]

    async def _apply(
        self, session: AsyncSession, lab: Lab, step: LabStep, raw: str, now: datetime
    ) -> None:
        if step in (LabStep.TITLE_SL, LabStep.TITLE_EN):
            setattr(lab, step.value, parsing.text_value(raw, parsing.TITLE_MAX))
        elif step in (LabStep.DESCRIPTION_SL, LabStep.DESCRIPTION_EN):
            setattr(lab, step.value, parsing.text_value(raw, parsing.DESCRIPTION_MAX))
        elif step == LabStep.HUB:
            hub = await hubs_repo.get_hub(session, raw)
            if hub is None:
                raise LabError(LabProblem.BAD_VALUE, f"hub {raw}")
            lab.hub_id = hub.id
        elif step == LabStep.TOPIC:
            if raw not in codes(self.i18n.profile.topics):
                raise LabError(LabProblem.BAD_VALUE, f"topic {raw}")
            lab.topic = raw
        elif step == LabStep.START:
            start = parsing.start_value(raw, now, self.tz)
            length = lab.ends_at - lab.starts_at if lab.starts_at and lab.ends_at else None
            lab.starts_at = start
            if length is not None:  # moving a lab keeps its length
                lab.ends_at = start + length
            if lab.deadline is not None and lab.deadline >= start:
                lab.deadline = None
        elif step == LabStep.END:
            if lab.starts_at is None:
                raise LabError(LabProblem.INCOMPLETE, "no start")
            lab.ends_at = parsing.end_value(raw, lab.starts_at, now, self.tz)
        elif step == LabStep.CAPACITY:
            lab.capacity = parsing.capacity_value(raw)
        elif step == LabStep.DEADLINE:
            if lab.starts_at is None:
                raise LabError(LabProblem.INCOMPLETE, "no start")
            if raw == "day":
                lab.deadline = lab.starts_at - timedelta(days=1)
            else:
                lab.deadline = parsing.deadline_value(raw, lab.starts_at, now, self.tz)
        elif step == LabStep.REMINDERS:
            lab.reminder_minutes = parsing.reminders_value(raw)
        elif step == LabStep.GUESTS:
            lab.guests = parsing.guests_value(raw)
        else:
            raise LabError(LabProblem.BAD_VALUE, step.value)

    async def same_text(self, actor: int, lab_id: int, step: LabStep) -> LabView:
        """English = Slovenian, chosen explicitly."""
        source = {LabStep.TITLE_EN: "title_sl", LabStep.DESCRIPTION_EN: "description_sl"}[step]
        async with self._sessions() as session:
            lab = await repo.get_lab(session, lab_id)
            text = getattr(lab, source) if lab is not None else None
        if not text:
            raise LabError(LabProblem.INCOMPLETE, source)
        view, _ = await self.set_field(actor, lab_id, step, text)
        return view

    async def go_to(self, actor: int, lab_id: int, step: LabStep) -> LabView:
        """Let the author change one field of a draft from its preview."""
        async with self._sessions.begin() as session:
            lab = await repo.get_draft(session, actor)
            if lab is None or lab.id != lab_id:
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            lab.step = f"edit:{step.value}"
            await session.flush()
            return lab_view(lab)

    async def back_to_preview(self, actor: int, lab_id: int) -> LabView:
        async with self._sessions.begin() as session:
            lab = await repo.get_draft(session, actor)
            if lab is None or lab.id != lab_id:
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            if lab.step != LabStep.PREVIEW.value and not (lab.step or "").startswith("edit:"):
                raise LabError(LabProblem.STALE, f"draft at {lab.step}")
            lab.step = LabStep.PREVIEW.value
            await session.flush()
            return lab_view(lab)

    async def _tell_registered(self, session: AsyncSession, lab: Lab, step: LabStep) -> bool:
        view = lab_view(lab)
        told = await seats.queue_each(
            session,
            self.i18n,
            await repo.recipients(session, lab.id, ACTIVE),
            key=lambda reg: f"labchg:{lab.id}:{lab.version}:{reg.id}",
            kind="lab_changed",
            notice=lambda tr, reg: notices.changed(tr, view),
        )
        return told > 0

    async def publish(self, actor: int, lab_id: int, now: datetime | None = None) -> LabView:
        now = now or utcnow()
        async with self._sessions.begin() as session:
            lab = await repo.get_draft(session, actor)
            if lab is None or lab.id != lab_id:
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            missing = [
                name
                for name in (
                    "title_sl",
                    "title_en",
                    "description_sl",
                    "description_en",
                    "hub_id",
                    "topic",
                    "starts_at",
                    "ends_at",
                )
                if getattr(lab, name) is None
            ]
            if missing:
                raise LabError(LabProblem.INCOMPLETE, ", ".join(missing))
            assert lab.starts_at is not None
            if lab.starts_at <= now:
                raise LabError(LabProblem.STARTED)
            lab.status, lab.step, lab.published_at = LabStatus.PUBLISHED, None, now
            await audit_repo.add_audit_entry(
                session, "lab.publish", actor_telegram_id=actor, subject=str(lab.id)
            )
            await session.flush()
            log.info("lab %s published by %s", lab.id, actor)
            return lab_view(lab)

    async def cancel(self, actor: int, lab_id: int, now: datetime | None = None) -> int:
        """Cancel a published lab and tell everyone signed up; returns how many were told."""
        now = now or utcnow()
        async with self._sessions.begin() as session:
            lab = await repo.get_lab(session, lab_id, lock=True)
            if lab is None or lab.status != LabStatus.PUBLISHED:
                raise LabError(LabProblem.NOT_FOUND, str(lab_id))
            lab.status, lab.cancelled_at = LabStatus.CANCELLED, now
            lab.version += 1
            view = lab_view(lab)
            registered = await repo.recipients(session, lab.id, ACTIVE)
            told = await seats.queue_each(
                session,
                self.i18n,
                registered,
                key=lambda reg: f"labcan:{lab.id}:{reg.id}",
                kind="lab_cancelled",
                notice=lambda tr, reg: notices.cancelled(tr, view),
            )
            for _, resident in registered:
                await repo.cancel_queued_reminders(session, lab.id, resident.id)
            await audit_repo.add_audit_entry(
                session,
                "lab.cancel",
                actor_telegram_id=actor,
                subject=str(lab.id),
                details={"told": told},
            )
            return told

    async def import_rows(
        self,
        rows: Sequence[Mapping[str, Any]],
        actor: int | None,
        locale: str,
        now: datetime | None = None,
        dry_run: bool = False,
    ) -> tuple[list[int], list[ImportProblem]]:
        """All rows or none: every problem is reported, and nothing is stored if there is one."""
        now = now or utcnow()
        async with self._sessions.begin() as session:
            hubs = {h.code: h.id for h in await hubs_repo.list_hubs(session)}
            parsed, problems = [], []
            for number, row in enumerate(rows, start=1):
                values, found = parsing.parse_row(
                    row, set(hubs), now, self.tz, [t.code for t in self.i18n.profile.topics]
                )
                problems += [ImportProblem(number, name, error) for name, error in found]
                parsed.append(values)
            if problems or dry_run:
                return [], problems
            ids = []
            for values in parsed:
                lab = _imported_lab(values, hubs[values["hub"]], actor, locale, now)
                session.add(lab)
                await session.flush()
                ids.append(lab.id)
            await audit_repo.add_audit_entry(
                session,
                "lab.import",
                actor_telegram_id=actor,
                details={"labs": ids},
            )
            return ids, []


def _imported_lab(
    values: Mapping[str, Any], hub_id: int, actor: int | None, locale: str, now: datetime
) -> Lab:
    """A published lab from one row of a programme file, as `parsing.parse_row` read it."""
    return Lab(
        author_telegram_id=actor or 0,
        author_locale=locale,
        status=LabStatus.PUBLISHED,
        hub_id=hub_id,
        topic=values["topic"],
        title_sl=values["title_sl"],
        title_en=values["title_en"],
        description_sl=values["description_sl"],
        description_en=values["description_en"],
        starts_at=values["start"],
        ends_at=values["end"],
        capacity=values["capacity"],
        deadline=values.get("deadline"),
        reminder_minutes=values["reminders"],
        guests=values["guests"],
        version=1,
        seats_taken=0,
        next_ticket=0,
        reminders_done=[],
        alerts_sent=[],
        published_at=now,
    )
