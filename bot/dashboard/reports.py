"""The labs and announcements pages' figures, every count of people k-safe: a count from 1 to
k - 1 is never given (None), and neither is anything worked out from one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Bilingual, OutboxStatus, RegistrationStatus
from bot.i18n import resolve_locale
from bot.services.announcements.types import plain_text
from bot.services.surveys.figures import VERY_USEFUL
from storage.models import utcnow
from storage.repositories import dashboard as repo

ANNOUNCEMENTS_SHOWN = 30


def safe(n: int, k: int) -> int | None:
    """Nobody, or at least k people: anything in between is not shown."""
    return n if n == 0 or n >= k else None


def share(part: int | None, whole: int | None) -> int | None:
    """A percentage of two shown figures."""
    if part is None or whole is None or whole == 0:
        return None
    return round(100 * part / whole)


@dataclass(frozen=True)
class UpcomingLab:
    id: int
    title: Bilingual
    starts_at: datetime
    hub: Bilingual | None
    topic: str | None
    capacity: int | None
    booked: int | None  # seats confirmed
    waitlist: int | None
    offers: int | None  # freed seats offered, not yet answered


@dataclass(frozen=True)
class PastLab:
    id: int
    title: Bilingual
    starts_at: datetime
    hub: Bilingual | None
    topic: str | None
    confirmed: int | None
    checked_in: int | None
    no_shows: int | None
    attendance: int | None  # percent
    useful: float | None  # average rating, 1 to VERY_USEFUL, from k answers
    answers: int | None


@dataclass(frozen=True)
class LabGroup:
    key: str  # hub code or topic code ("" for none)
    name: Bilingual | None
    labs: int
    confirmed: int | None
    checked_in: int | None
    attendance: int | None


@dataclass
class LabsReport:
    k: int
    upcoming: list[UpcomingLab] = field(default_factory=list)
    past: list[PastLab] = field(default_factory=list)
    by_hub: list[LabGroup] = field(default_factory=list)
    by_topic: list[LabGroup] = field(default_factory=list)
    scale: int = VERY_USEFUL


async def labs_report(
    sessions: async_sessionmaker[AsyncSession], k: int, now: datetime | None = None
) -> LabsReport:
    now = now or utcnow()
    async with sessions() as session:
        labs = [lab for lab in await repo.published_labs(session) if lab.starts_at is not None]
        facts = await repo.registration_facts(session, [lab.id for lab in labs])
    per_lab: dict[int, list[tuple[str, int, bool, int | None]]] = {}
    for lab_id, status, seats, came, useful in facts:
        per_lab.setdefault(lab_id, []).append((status, seats, came, useful))
    report = LabsReport(k)
    totals: dict[tuple[str, str], list[int]] = {}
    names: dict[tuple[str, str], Bilingual | None] = {}
    for lab in labs:
        assert lab.starts_at is not None
        rows = per_lab.get(lab.id, [])
        hub = Bilingual(lab.hub.name_sl, lab.hub.name_en) if lab.hub is not None else None
        title = Bilingual(lab.title_sl, lab.title_en)
        ends = lab.ends_at or lab.starts_at
        if ends >= now:
            booked = sum(s for st, s, _, _ in rows if st == RegistrationStatus.CONFIRMED)
            waiting = sum(1 for st, *_ in rows if st == RegistrationStatus.WAITLISTED)
            offers = sum(1 for st, *_ in rows if st == RegistrationStatus.OFFERED)
            report.upcoming.append(
                UpcomingLab(
                    lab.id,
                    title,
                    lab.starts_at,
                    hub,
                    lab.topic,
                    lab.capacity,
                    safe(booked, k),
                    safe(waiting, k),
                    safe(offers, k),
                )
            )
            continue
        if lab.retained is not None:
            confirmed = int(lab.retained.get("confirmed", 0))
            came = int(lab.retained.get("checked_in", 0))
            ratings: list[int] = []
        else:
            held = [r for r in rows if r[0] == RegistrationStatus.CONFIRMED]
            confirmed = sum(s for _, s, _, _ in held)
            came = sum(s for _, s, c, _ in held if c)
            ratings = [u for *_, u in held if u]
        report.past.append(
            _past(lab.id, title, lab.starts_at, hub, lab.topic, confirmed, came, ratings, k)
        )
        for key in (("hub", lab.hub.code if lab.hub else ""), ("topic", lab.topic or "")):
            sums = totals.setdefault(key, [0, 0, 0])
            sums[0] += 1
            sums[1] += confirmed
            sums[2] += came
            names[key] = hub if key[0] == "hub" else None
    report.past.reverse()  # the latest first
    for (kind, code), (count, confirmed, came) in sorted(totals.items()):
        shown_confirmed, shown_came = safe(confirmed, k), safe(came, k)
        group = LabGroup(
            code,
            names[(kind, code)],
            count,
            shown_confirmed,
            shown_came,
            share(shown_came, shown_confirmed),
        )
        (report.by_hub if kind == "hub" else report.by_topic).append(group)
    return report


def _past(
    lab_id: int,
    title: Bilingual,
    starts_at: datetime,
    hub: Bilingual | None,
    topic: str | None,
    confirmed: int,
    came: int,
    ratings: list[int],
    k: int,
) -> PastLab:
    shown_confirmed, shown_came = safe(confirmed, k), safe(came, k)
    no_shows = None
    if shown_confirmed is not None and shown_came is not None:
        no_shows = safe(confirmed - came, k)
    useful = round(sum(ratings) / len(ratings), 1) if len(ratings) >= k else None
    return PastLab(
        lab_id,
        title,
        starts_at,
        hub,
        topic,
        shown_confirmed,
        shown_came,
        no_shows,
        share(shown_came, shown_confirmed),
        useful,
        safe(len(ratings), k),
    )


@dataclass(frozen=True)
class Reach:
    delivered: int | None
    blocked: int | None
    failed: int | None
    waiting: int | None  # still to be sent (quiet hours, rate limit)


@dataclass(frozen=True)
class Broadcast:
    id: int
    started_at: datetime
    text: Bilingual
    audience: str
    audience_values: list[str]
    recipients: int | None
    reach: Reach
    by_language: dict[str, Reach]


def _reach(counts: dict[str, int], k: int) -> Reach:
    return Reach(
        safe(counts.get(OutboxStatus.SENT, 0), k),
        safe(counts.get(OutboxStatus.BLOCKED, 0), k),
        safe(counts.get(OutboxStatus.FAILED, 0), k),
        safe(counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0), k),
    )


async def broadcasts(
    sessions: async_sessionmaker[AsyncSession],
    k: int,
    default_locale: str = "sl",
    languages: tuple[str, ...] = ("sl", "en"),
) -> list[Broadcast]:
    """The latest broadcasts' reach, by the language each recipient was written to in."""
    async with sessions() as session:
        found = await repo.recent_announcements(session, ANNOUNCEMENTS_SHOWN)
        rows = await repo.reach_by_language(session, [a.id for a in found])
    counts: dict[int, dict[str, dict[str, int]]] = {}
    for announcement_id, chosen, code, status, n in rows:
        # A resident deleted since (/forget) left no language behind.
        locale = resolve_locale(chosen, code, default_locale, languages) if chosen or code else ""
        per = counts.setdefault(announcement_id, {}).setdefault(locale, {})
        per[status] = per.get(status, 0) + n
    result = []
    for a in found:
        assert a.started_at is not None
        languages = counts.get(a.id, {})
        overall: dict[str, int] = {}
        for per in languages.values():
            for status, n in per.items():
                overall[status] = overall.get(status, 0) + n
        result.append(
            Broadcast(
                a.id,
                a.started_at,
                Bilingual(
                    plain_text(a.text_sl)[:120] if a.text_sl else None,
                    plain_text(a.text_en)[:120] if a.text_en else None,
                ),
                a.audience_kind,
                list(a.audience_values or []),
                safe(a.recipients, k),
                _reach(overall, k),
                {loc: _reach(per, k) for loc, per in sorted(languages.items())},
            )
        )
    return result
