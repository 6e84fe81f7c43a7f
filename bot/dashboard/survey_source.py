"""The survey page's one source of figures: the digest's figures (`DigestData`, every cell
k-safe) for a chosen round, for all respondents or for one group of them (a municipality or
an age band). The survey "decision views" plug in here later; the page only reads what this
module returns.

All respondents: exactly the digest's figures (`bot.services.surveys.figures`). One group:
its answers set side by side with every other group's would let someone subtract their way to
a small cell, so in a group's view an answer is shown only if, in *every* group of that field,
it was given by nobody or by at least k; an answer the all-respondents view hides is hidden in
every group too; and in each group the answers hidden together must come at least in twos and
hold at least k people (or more answers are hidden), so no total gives one away. Groups whose
own size is hidden on the all-respondents page cannot be chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import AGE_BANDS, MUNICIPALITIES
from bot.redact import scrub
from bot.services.surveys import figures
from bot.services.surveys.definition import Survey
from bot.services.surveys.figures import DigestData, Distribution
from storage.repositories import dashboard as repo
from storage.repositories import digests as digests_repo
from storage.repositories import surveys as surveys_repo

FIELDS = {"municipality": MUNICIPALITIES, "age_band": AGE_BANDS}
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Group:
    field: str  # "municipality" or "age_band"
    value: str

    @classmethod
    def parse(cls, text: str | None) -> Group | None:
        """`municipality:celje` from a filter; None for all respondents or anything else."""
        name, _, value = (text or "").partition(":")
        if name in FIELDS and value in {c.code for c in FIELDS[name]}:
            return cls(name, value)
        return None

    @property
    def key(self) -> str:
        return f"{self.field}:{self.value}"


@dataclass
class SurveyFigures:
    """What the page shows: the digest figures, and which groups may be chosen."""

    code: str
    rounds: list[int]  # newest first
    data: DigestData | None  # None: no such round
    group: Group | None = None
    group_hidden: bool = False  # the chosen group is too small to be shown on its own
    groups: list[Group] = field(default_factory=list)  # those that may be chosen


async def survey_figures(
    sessions: async_sessionmaker[AsyncSession],
    code: str,
    round_number: int | None,
    group: Group | None,
    k: int,
) -> SurveyFigures:
    async with sessions() as session:
        rounds = await repo.list_rounds(session, code)
        round_ = await surveys_repo.get_round(session, code, round_number) if rounds else None
        if round_ is None:
            return SurveyFigures(code, rounds, None, group)
        version = await surveys_repo.latest_version(session, code)
        assert version is not None, "a round is only opened for a recorded survey"
        survey = Survey.model_validate(version.definition)
        profiles = await repo.completed_responses(session, round_.id)
        answers = await repo.completed_answer_rows(session, round_.id)
        partial = await repo.count_in_progress(session, round_.id)
        ideas = await digests_repo.shared_ideas(session, round_.id) if group is None else []
    everyone = _everyone(survey, round_.number, profiles, answers, partial, k)
    # Contact details a resident wrote into their idea stay out, as in the digest.
    everyone.ideas = [scrub(str(v)) for v in ideas if v]
    choosable = _choosable(everyone)
    result = SurveyFigures(code, rounds, everyone, group, groups=choosable)
    if group is not None:
        if group not in choosable:
            result.data, result.group_hidden = None, True
        else:
            result.data = _group_view(survey, everyone, group, profiles, answers, k)
    return result


def _by_response(answers: Iterable[tuple[int, str, Any]]) -> dict[str, dict[int, Any]]:
    found: dict[str, dict[int, Any]] = {}
    for rid, code, value in answers:
        found.setdefault(code, {})[rid] = value
    return found


def _everyone(
    survey: Survey,
    number: int,
    profiles: dict[int, tuple[str | None, str | None]],
    answers: list[tuple[int, str, Any]],
    partial: int,
    k: int,
) -> DigestData:
    """The digest's own figures (as `DigestService.gather` makes them), for any round."""
    values: dict[str, list[Any]] = {}
    for rid, code, value in answers:
        if rid in profiles:
            values.setdefault(code, []).append(value)
    data = DigestData(survey, number, len(profiles), partial, None, k)
    data.key = figures.key_answers(survey, values, k)
    data.stay = figures.reasons(survey, figures.STAY_REASONS, values, k)
    data.leave = figures.reasons(survey, figures.LEAVE_REASONS, values, k)
    data.municipality = figures.breakdown(
        "municipality", [m or UNKNOWN for m, _ in profiles.values()], k
    )
    data.age_band = figures.breakdown("age_band", [a or UNKNOWN for _, a in profiles.values()], k)
    return data


def _choosable(data: DigestData) -> list[Group]:
    """Groups whose size the all-respondents view shows."""
    groups = []
    for name, dist in (("municipality", data.municipality), ("age_band", data.age_band)):
        if dist is None or dist.total is None:
            continue
        groups += [
            Group(name, value)
            for value, n in dist.cells.items()
            if n is not None and n > 0 and value != UNKNOWN
        ]
    return groups


def _group_of(profile: tuple[str | None, str | None], name: str) -> str:
    return (profile[0] if name == "municipality" else profile[1]) or UNKNOWN


def _group_view(
    survey: Survey,
    everyone: DigestData,
    group: Group,
    profiles: dict[int, tuple[str | None, str | None]],
    answers: list[tuple[int, str, Any]],
    k: int,
) -> DigestData:
    by_question = _by_response(answers)
    members = {rid for rid, p in profiles.items() if _group_of(p, group.field) == group.value}
    data = DigestData(survey, everyone.round_number, len(members), 0, None, k)
    for dist in everyone.key:
        table = _table(by_question.get(dist.question, {}), profiles, group.field, single=True)
        data.key.append(_cross(dist, table, group.value, k, additive=True))
    for attr in ("stay", "leave"):
        dist = getattr(everyone, attr)
        if dist is None:
            continue
        codes = figures.STAY_REASONS if attr == "stay" else figures.LEAVE_REASONS
        merged: dict[int, Any] = {}
        for code in codes:
            merged.update(by_question.get(code, {}))
        table = _table(merged, profiles, group.field, single=False)
        setattr(data, attr, _cross(dist, table, group.value, k, additive=False))
    other = "age_band" if group.field == "municipality" else "municipality"
    other_dist = getattr(everyone, other)
    if other_dist is not None:
        values = {rid: _group_of(p, other) for rid, p in profiles.items()}
        table = _table(values, profiles, group.field, single=True)
        setattr(data, other, _cross(other_dist, table, group.value, k, additive=True))
    return data


def _table(
    values: dict[int, Any],
    profiles: dict[int, tuple[str | None, str | None]],
    name: str,
    *,
    single: bool,
) -> dict[str, Counter[str]]:
    """Group -> answer -> how many; a multiple choice counts once per answer chosen, and
    the people who answered are counted under the key None."""
    table: dict[str, Counter[str]] = {}
    for rid, value in values.items():
        if rid not in profiles:
            continue
        row = table.setdefault(_group_of(profiles[rid], name), Counter())
        row[None] += 1  # type: ignore[index]
        row.update([str(value)] if single else {str(v) for v in value})
    return table


def _cross(
    everyone: Distribution, table: dict[str, Counter[str]], chosen: str, k: int, *, additive: bool
) -> Distribution:
    """The chosen group's distribution, showing only answers safe in every group."""
    options = list(everyone.cells)
    extra = {o for row in table.values() for o in row if o is not None and o not in options}
    options += sorted(extra)
    hidden = {o for o in options if everyone.cells.get(o) is None}
    hidden |= {o for o in options if any(0 < row[o] < k for row in table.values())}
    if everyone.total is None:
        hidden = set(options)
    while additive and not hidden.issuperset(options):
        # In each group, what is hidden must not be one answer, nor fewer than k people.
        grow = None
        for row in table.values():
            mass = [row[o] for o in hidden if row[o] > 0]
            if mass and (len(mass) < 2 or sum(mass) < k):
                visible = sorted((row[o], o) for o in options if o not in hidden and row[o] > 0)
                grow = visible[0][1] if visible else None
                if grow is None:
                    hidden = set(options)
                break
        if grow is None:
            break
        hidden.add(grow)
    row = table.get(chosen, Counter())
    total = row[None]  # type: ignore[index]
    cells = {o: (None if o in hidden else row[o]) for o in options}
    shown = total >= k and everyone.total is not None
    return Distribution(everyone.question, total if shown else None, cells)
