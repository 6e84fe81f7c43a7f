"""Digests for the coordinators' channel: what residents answered, at a glance, without
exposing anyone.

Every figure resting on fewer than k respondents is suppressed, and so is any other figure
that would let someone work a suppressed one out from the totals (complementary
suppression): in a distribution that adds up to a shown total, hidden cells come at least in
twos and together hold at least k people, or the total is hidden too.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.redact import scrub
from bot.services.surveys.definition import Survey
from storage.models import (
    Digest,
    Lab,
    LabRegistration,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    SurveyVersion,
)
from storage.repositories import outbox as outbox_repo

log = logging.getLogger(__name__)

KEY_QUESTIONS = ("intention", "return", "qol_overall", "take_part")
STAY_REASONS = ("reasons_stay",)
LEAVE_REASONS = ("reasons_leave", "reasons_left")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def suppress(counts: dict[str, int], k: int) -> tuple[dict[str, int | None], bool]:
    """Cells below k hidden, then complementary cells, so none can be worked out from the
    total. Returns the cells (None = hidden) and whether the total may be shown."""
    total = sum(counts.values())
    if total < k:
        return {key: None for key in counts}, False
    hidden = {key for key, n in counts.items() if 0 < n < k}
    while hidden and (len(hidden) == 1 or sum(counts[h] for h in hidden) < k):
        visible = sorted((n, key) for key, n in counts.items() if key not in hidden and n > 0)
        if not visible:
            return {key: None for key in counts}, False
        hidden.add(visible[0][1])
    return {key: (None if key in hidden else n) for key, n in counts.items()}, True


@dataclass(frozen=True)
class Distribution:
    question: str
    total: int | None  # None: hidden
    cells: dict[str, int | None]  # option (or value) -> count, None when hidden


@dataclass(frozen=True)
class LabLine:
    title_sl: str
    title_en: str
    starts_at: datetime
    confirmed: int | None
    checked_in: int | None
    useful_share: int | None  # percent "very useful", None when too few answers


@dataclass
class DigestData:
    survey: Survey
    round_number: int
    completed: int
    partial: int
    change: int | None  # since the last digest
    k: int
    key: list[Distribution] = field(default_factory=list)
    stay: Distribution | None = None
    leave: Distribution | None = None
    municipality: Distribution | None = None
    age_band: Distribution | None = None
    labs: list[LabLine] = field(default_factory=list)
    ideas: list[str] = field(default_factory=list)


class DigestService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        k: int,
        tz: ZoneInfo,
        every: int = 25,
        schedule: str = "mon 08:00",
    ):
        self._sessions = sessions
        self.k = k
        self.tz = tz
        self.every = every
        self.slot = parse_schedule(schedule, tz)

    async def gather(self, survey_code: str) -> DigestData | None:
        """The latest round of the survey, in figures safe to show."""
        async with self._sessions() as session:
            round_ = (
                await session.execute(
                    select(SurveyRound)
                    .where(SurveyRound.survey_code == survey_code)
                    .order_by(SurveyRound.number.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if round_ is None:
                return None
            version = (
                await session.execute(
                    select(SurveyVersion)
                    .where(SurveyVersion.survey_code == survey_code)
                    .order_by(SurveyVersion.version.desc())
                    .limit(1)
                )
            ).scalar_one()
            survey = Survey.model_validate(version.definition)
            counts = dict(
                (
                    await session.execute(
                        select(SurveyResponse.status, func.count())
                        .where(SurveyResponse.round_id == round_.id)
                        .group_by(SurveyResponse.status)
                    )
                ).all()
            )
            completed = counts.get("completed", 0)
            last = (
                await session.execute(
                    select(Digest)
                    .where(Digest.survey_code == survey_code, Digest.round_number == round_.number)
                    .order_by(Digest.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            data = DigestData(
                survey,
                round_.number,
                completed,
                counts.get("in_progress", 0),
                None if last is None else completed - last.completed,
                self.k,
            )
            answers = await self._answers(session, round_.id)
            profiles = await self._profiles(session, round_.id)
            data.key = [
                self._single(survey, code, answers.get(code, []))
                for code in KEY_QUESTIONS
                if survey.question(code) is not None and answers.get(code)
            ]
            data.stay = self._reasons(survey, STAY_REASONS, answers)
            data.leave = self._reasons(survey, LEAVE_REASONS, answers)
            data.municipality = self._breakdown("municipality", [p[0] for p in profiles])
            data.age_band = self._breakdown("age_band", [p[1] for p in profiles])
            data.labs = await self._labs(session)
            data.ideas = await self._ideas(session, round_.id, answers)
            return data

    async def _answers(self, session: AsyncSession, round_id: int) -> dict[str, list[Any]]:
        rows = await session.execute(
            select(SurveyAnswer.question_code, SurveyAnswer.value)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.round_id == round_id, SurveyResponse.status == "completed")
        )
        found: dict[str, list[Any]] = {}
        for code, value in rows.all():
            if value is not None:
                found.setdefault(code, []).append(value)
        return found

    async def _profiles(self, session: AsyncSession, round_id: int) -> list[tuple[str, str]]:
        rows = await session.execute(
            select(SurveyResponse.municipality, SurveyResponse.age_band).where(
                SurveyResponse.round_id == round_id, SurveyResponse.status == "completed"
            )
        )
        return [(m or "unknown", a or "unknown") for m, a in rows.all()]

    def _single(self, survey: Survey, code: str, values: list[Any]) -> Distribution:
        question = survey.question(code)
        assert question is not None
        options = [o.code for o in question.options] or [str(n) for n in range(1, 6)]
        counts = {option: 0 for option in options}
        for value in values:
            key = str(value)
            counts[key] = counts.get(key, 0) + 1
        cells, show_total = suppress(counts, self.k)
        return Distribution(code, sum(counts.values()) if show_total else None, cells)

    def _reasons(
        self, survey: Survey, codes: tuple[str, ...], answers: dict[str, list[Any]]
    ) -> Distribution | None:
        """How many respondents named each reason (several per person): below k hidden."""
        asked = [c for c in codes if survey.question(c) is not None and answers.get(c)]
        if not asked:
            return None
        counts: Counter[str] = Counter()
        people = 0
        for code in asked:
            for chosen in answers[code]:
                people += 1
                counts.update(set(chosen))
        if people < self.k:
            return Distribution(codes[0], None, {})
        cells = {key: (n if n >= self.k else None) for key, n in counts.most_common()}
        return Distribution(codes[0], people, cells)

    def _breakdown(self, name: str, values: list[str]) -> Distribution:
        counts = dict(Counter(values))
        cells, show_total = suppress(counts, self.k)
        return Distribution(name, len(values) if show_total else None, cells)

    async def _labs(self, session: AsyncSession) -> list[LabLine]:
        """Labs of the last 30 days: attendance and how useful they were (k rule)."""
        now = datetime.now(UTC)
        labs = (
            (
                await session.execute(
                    select(Lab)
                    .where(
                        Lab.status == "published",
                        Lab.ends_at <= now,
                        Lab.ends_at > now - timedelta(days=30),
                    )
                    .order_by(Lab.starts_at)
                )
            )
            .unique()
            .scalars()
        )
        lines = []
        for lab in labs:
            regs = list(
                (
                    await session.execute(
                        select(LabRegistration).where(
                            LabRegistration.lab_id == lab.id,
                            LabRegistration.status == "confirmed",
                        )
                    )
                ).scalars()
            )
            confirmed = len(regs)
            checked = sum(1 for r in regs if r.checked_in_at is not None)
            rated = [r.feedback_useful for r in regs if r.feedback_useful]
            useful = round(100 * rated.count(3) / len(rated)) if len(rated) >= self.k else None
            assert lab.starts_at is not None
            lines.append(
                LabLine(
                    lab.title_sl or "",
                    lab.title_en or "",
                    lab.starts_at,
                    confirmed if confirmed >= self.k else None,
                    checked if checked >= self.k else None,
                    useful,
                )
            )
        return lines

    async def _ideas(
        self, session: AsyncSession, round_id: int, answers: dict[str, list[Any]]
    ) -> list[str]:
        """Ideas of residents who agreed to share them, contact details removed."""
        consent = await session.execute(
            select(SurveyAnswer.response_id, SurveyAnswer.value)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyResponse.round_id == round_id,
                SurveyResponse.status == "completed",
                SurveyAnswer.question_code == "share_idea",
            )
        )
        shared = [rid for rid, value in consent.all() if value == "yes"]
        if not shared:
            return []
        rows = await session.execute(
            select(SurveyAnswer.value)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyAnswer.question_code == "idea", SurveyAnswer.response_id.in_(shared))
            .order_by(SurveyResponse.completed_at.desc(), SurveyResponse.id.desc())
            .limit(10)
        )
        return [scrub(str(v)) for v in rows.scalars() if v]

    # ---- when ------------------------------------------------------------------------------

    async def due(self, survey_code: str, now: datetime) -> str | None:
        """'schedule' or 'count' when a digest is due, else None."""
        async with self._sessions() as session:
            last = (
                await session.execute(
                    select(Digest)
                    .where(Digest.survey_code == survey_code)
                    .order_by(Digest.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            slot = self.last_slot(now)
            if slot is not None and last is not None and last.at < slot <= now:
                return "schedule"
            if slot is not None and last is None and slot <= now:
                return "schedule" if await self._has_round(session, survey_code) else None
            if self.every > 0:
                round_ = await self._open_round(session, survey_code)
                if round_ is not None:
                    completed = await session.scalar(
                        select(func.count()).where(
                            SurveyResponse.round_id == round_.id,
                            SurveyResponse.status == "completed",
                        )
                    )
                    before = 0
                    if last is not None and last.round_number == round_.number:
                        before = last.completed
                    if (completed or 0) - before >= self.every:
                        return "count"
        return None

    async def _has_round(self, session: AsyncSession, code: str) -> bool:
        return bool(
            await session.scalar(select(func.count()).where(SurveyRound.survey_code == code))
        )

    async def _open_round(self, session: AsyncSession, code: str) -> SurveyRound | None:
        return (
            await session.execute(
                select(SurveyRound).where(
                    SurveyRound.survey_code == code, SurveyRound.status == "open"
                )
            )
        ).scalar_one_or_none()

    def last_slot(self, now: datetime) -> datetime | None:
        """The most recent scheduled moment at or before `now` (in UTC)."""
        if self.slot is None:
            return None
        if isinstance(self.slot, CronTrigger):
            return _last_cron(self.slot, now)
        weekday, at = self.slot
        local = now.astimezone(self.tz)
        days_back = (local.weekday() - weekday) % 7
        candidate = datetime.combine(local.date() - timedelta(days=days_back), at, self.tz)
        if candidate > local:
            candidate -= timedelta(days=7)
        return candidate.astimezone(UTC)

    async def record_and_queue(
        self,
        data: DigestData,
        survey_code: str,
        trigger: str,
        chat_id: int,
        text: str,
        chart: bytes | None,
        caption: str,
        at: datetime | None = None,
    ) -> int:
        """Write the digest down and queue its messages (text, then the chart)."""
        async with self._sessions.begin() as session:
            digest = Digest(
                at=at or datetime.now(UTC),
                trigger=trigger,
                survey_code=survey_code,
                round_number=data.round_number,
                completed=data.completed,
                partial=data.partial,
            )
            session.add(digest)
            await session.flush()
            now = datetime.now(UTC)
            rows = [
                outbox_repo.outbox_row(
                    key=f"digest:{digest.id}:text",
                    kind="digest",
                    chat_id=chat_id,
                    text=text,
                    now=now,
                )
            ]
            if chart is not None:
                rows.append(
                    outbox_repo.outbox_row(
                        key=f"digest:{digest.id}:chart",
                        kind="digest",
                        chat_id=chat_id,
                        text=caption,
                        attachment=chart,
                        attachment_name="digest.png",
                        now=now,
                    )
                )
            await outbox_repo.add_outbox_messages(session, rows)
            log.info("digest %s (%s) queued for the coordinators", digest.id, trigger)
            return digest.id


def parse_schedule(text: str, tz: ZoneInfo | None = None) -> tuple[int, time] | CronTrigger | None:
    """'mon 08:00' -> (0, 08:00); a crontab line ('0 8 * * mon') -> a CronTrigger in the
    town's zone; '' -> None (no scheduled digests)."""
    text = text.strip().lower()
    if not text:
        return None
    if len(text.split()) == 5:
        try:
            return CronTrigger.from_crontab(text, timezone=tz or UTC)
        except ValueError as exc:
            raise ValueError(f"not a crontab line: {exc}") from None
    day, _, clock = text.partition(" ")
    if day not in WEEKDAYS:
        raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
    hour, _, minute = clock.strip().partition(":")
    try:
        return WEEKDAYS.index(day), time(int(hour), int(minute or 0))
    except ValueError:
        raise ValueError(f"{clock!r} is not a time of day") from None


def _last_cron(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The cron's last firing at or before `now`, looking back up to eight days."""
    moment = trigger.get_next_fire_time(None, now - timedelta(days=8))
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return last.astimezone(UTC) if last is not None else None
