"""Digests for the coordinators' channel: the latest round in figures safe to show, due on a
schedule or after every N new responses (or on /digest), written down and queued through the
outbox in the channel's language."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Bilingual, ResponseStatus
from bot.i18n import I18n
from bot.redact import scrub
from bot.services.ideas.service import top_ideas
from bot.services.surveys import figures, notices
from bot.services.surveys.chart import chart_png
from bot.services.surveys.figures import DigestData, LabLine
from bot.services.surveys.notices import DigestNotice
from bot.services.surveys.views import DecisionViewService
from bot.timeparse import last_slot, parse_schedule
from storage.models import utcnow
from storage.repositories import digests as repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import surveys as surveys_repo

if TYPE_CHECKING:
    from bot.services.network.service import NetworkService

log = logging.getLogger(__name__)

RECENT_LABS = timedelta(days=30)


@dataclass(frozen=True)
class DigestConfig:
    chat_id: int | None  # the coordinators' channel; without one, only /digest shows them
    locale: str  # the channel's language
    k: int  # the smallest group a figure may rest on
    tz: ZoneInfo
    every: int = 25  # a digest after this many new responses; 0: never
    schedule: str = "mon 08:00"  # see bot.timeparse.parse_schedule; "": never


class DigestService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        survey_codes: list[str],
        config: DigestConfig,
        views: DecisionViewService | None = None,
        *,
        network: NetworkService | None = None,
    ):
        self._sessions = sessions
        self._network = network
        self._views = views or DecisionViewService(sessions, config.k)
        self._i18n = i18n
        self._codes = survey_codes
        self.config = config
        self._slot = parse_schedule(config.schedule, config.tz)

    @property
    def views(self) -> DecisionViewService:
        return self._views

    @property
    def channel(self) -> int | None:
        return self.config.chat_id

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Scheduled digests and the every-N-responses ones."""
        now = now or utcnow()
        sent = 0
        if self.channel is None:
            return {"digests": 0}
        for code in self._codes:
            trigger = await self.due(code, now)
            if trigger is not None and await self.send(code, trigger, now):
                sent += 1
        return {"digests": sent}

    async def send(self, code: str, trigger: str, now: datetime | None = None) -> bool:
        """Queue a digest for the coordinators' channel; False if there is nothing to send."""
        if self.channel is None:
            return False
        composed = await self._compose(code)
        if composed is None:
            return False
        await self._record(code, trigger, *composed, at=now or utcnow())
        return True

    async def compose(self, code: str) -> DigestNotice | None:
        """The digest as the channel would read it; None before the survey's first round."""
        composed = await self._compose(code)
        return composed[1] if composed is not None else None

    async def _compose(self, code: str) -> tuple[DigestData, DigestNotice] | None:
        data = await self.gather(code)
        if data is None:
            return None
        tr = self._i18n.get(self.config.locale)
        chart = await asyncio.to_thread(chart_png, tr, data)
        return data, notices.digest(tr, data, chart)

    async def _record(
        self, code: str, trigger: str, data: DigestData, notice: DigestNotice, at: datetime
    ) -> None:
        """Write the digest down and queue its messages (text, then the chart)."""
        assert self.channel is not None
        async with self._sessions.begin() as session:
            digest = await repo.add_digest(
                session,
                at=at,
                trigger=trigger,
                survey_code=code,
                round_number=data.round_number,
                completed=data.completed,
                partial=data.partial,
            )
            now = utcnow()
            rows = [
                outbox_repo.outbox_row(
                    key=f"digest:{digest.id}:text",
                    kind="digest",
                    chat_id=self.channel,
                    text=notice.text,
                    now=now,
                )
            ]
            if notice.chart is not None:
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"digest:{digest.id}:chart",
                        kind="digest",
                        chat_id=self.channel,
                        text=notice.caption,
                        attachment=notice.chart,
                        attachment_name="digest.png",
                        now=now,
                    )
                )
            await outbox_repo.add_outbox_messages(session, rows)
            log.info("digest %s (%s) queued for the coordinators", digest.id, trigger)

    async def gather(self, survey_code: str) -> DigestData | None:
        """The latest round of the survey, in figures safe to show."""
        views = await self._views.decision_views(survey_code)
        if views is None:
            return None
        async with self._sessions() as session:
            round_ = await surveys_repo.get_round(session, survey_code, views.round_number)
            assert round_ is not None
            counts = await surveys_repo.count_by_status(session, round_.id)
            completed = counts.get(ResponseStatus.COMPLETED, 0)
            last = await repo.last_digest(session, survey_code, round_.number)
            data = DigestData(
                views,
                counts.get(ResponseStatus.IN_PROGRESS, 0),
                None if last is None else completed - last.completed,
            )
            data.labs = await self._labs(session)
            # Contact details a resident wrote into their idea do not reach the channel.
            ideas = await repo.shared_ideas(session, round_.id)
            data.ideas = [scrub(str(v)) for v in ideas if v]
            # The week's most supported published ideas, each with at least k new supports.
            data.top_ideas = await top_ideas(
                session, utcnow() - timedelta(days=7), 5, minimum=self.config.k
            )
        if self._network is not None:
            # Our town beside the peers' signed feeds, on the same figures the digest shows.
            data.network = await self._network.comparisons([views])
        return data

    async def _labs(self, session: AsyncSession) -> list[LabLine]:
        """Labs of the last 30 days: attendance and how useful they were (k rule)."""
        now = utcnow()
        lines = []
        for lab, registrations in await repo.ended_labs(session, now - RECENT_LABS, now):
            assert lab.starts_at is not None
            lines.append(
                figures.attendance(
                    Bilingual(lab.title_sl, lab.title_en),
                    lab.starts_at,
                    [r.checked_in_at is not None for r in registrations],
                    [r.feedback_useful for r in registrations if r.feedback_useful],
                    self.config.k,
                )
            )
        return lines

    async def due(self, survey_code: str, now: datetime) -> str | None:
        """'schedule' or 'count' when a digest is due, else None."""
        async with self._sessions() as session:
            last = await repo.last_digest(session, survey_code)
            slot = last_slot(self._slot, now, self.config.tz)
            if slot is not None and slot <= now and (last is None or last.at < slot):
                # The first weekly digest of a round is at the first slot after it opened,
                # not at the next tick, before anyone could answer.
                latest = await surveys_repo.last_round(session, survey_code)
                if latest is not None and latest.opened_at < slot:
                    return "schedule"
            if self.config.every <= 0:
                return None
            current = await surveys_repo.open_round(session, survey_code)
            if current is None:
                return None
            counts = await surveys_repo.count_by_status(session, current.id)
            before = last.completed if last and last.round_number == current.number else 0
            if counts.get(ResponseStatus.COMPLETED, 0) - before >= self.config.every:
                return "count"
        return None
