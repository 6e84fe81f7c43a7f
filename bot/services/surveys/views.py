"""The decision views of a survey round, as plain dataclasses any front end can render (the
digest, /povzetek, a dashboard): the key questions overall and by each of their `by` fields,
the change since the previous round, the reasons to leave and to stay, how far the lab
suggestion reached, and the sample beside the population.

What a question is for comes from its definition (`report:`), never from question codes here.
Every figure is k-safe (see `bot.services.surveys.protect`): small cells and what would reveal
them are hidden (None), and a group whose members (nearly) all answered alike is merged with a
neighbour or not shown.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import AGE_BANDS, STATUSES
from bot.services.surveys import change as changes
from bot.services.surveys.definition import (
    Condition,
    Kind,
    ProfileField,
    Question,
    Role,
    Survey,
    Text,
)
from bot.services.surveys.population import Population
from bot.services.surveys.protect import dominated, protect_table, suppress
from storage.repositories import digests as repo
from storage.repositories import surveys as surveys_repo
from storage.repositories.digests import Answered

REST = "rest"  # the answers outside a headline, when a breakdown shows only headline vs rest
HEADLINE = "headline"
TOP_REASONS = 5
# The groups of each profile field, in the order they stand side by side. Codes a resident may
# leave unset (None) join the last group.
GROUPS: dict[ProfileField, tuple[tuple[str, tuple[str | None, ...]], ...]] = {
    ProfileField.MUNICIPALITY: (
        ("celje", ("celje",)),
        ("prebold", ("prebold",)),
        ("savinjska", ("savinjska",)),
        ("outside", ("slovenia", "abroad", None)),
    ),
    ProfileField.AGE_BAND: (
        *((c.code, (c.code,)) for c in AGE_BANDS if c.code != "na"),
        ("na", ("na", None)),
    ),
    ProfileField.STATUS: (
        *((c.code, (c.code,)) for c in STATUSES if c.code != "na"),
        ("na", ("na", None)),
    ),
}


@dataclass(frozen=True)
class Distribution:
    """One question's answers in one set of respondents; None where hidden."""

    question: str
    total: int | None  # None: too few to show anything
    cells: dict[str, int | None]
    withheld: bool = False  # answers so alike that any figure would tell what people said

    def share(self, code: str) -> float | None:
        n = self.cells.get(code)
        return None if n is None or not self.total else 100 * n / self.total


@dataclass(frozen=True)
class Headline:
    """The share of a key question's headline options ("would stay")."""

    options: tuple[str, ...]
    label: Text | None
    count: int | None
    total: int | None

    @property
    def share(self) -> float | None:
        if self.count is None or not self.total:
            return None
        return 100 * self.count / self.total


@dataclass(frozen=True)
class Column:
    """One group of a breakdown (a municipality, an age band, or neighbours merged)."""

    group: str  # the first member's code; merged groups list all in `members`
    members: tuple[str, ...]
    total: int | None
    cells: dict[str, int | None]

    def share(self, row: str) -> float | None:
        n = self.cells.get(row)
        return None if n is None or not self.total else 100 * n / self.total


@dataclass(frozen=True)
class Breakdown:
    """A key question by a profile field: answers (rows) × groups (columns)."""

    question: str
    field: ProfileField
    rows: tuple[str, ...]  # answer codes, or (HEADLINE, REST) when answers were merged
    columns: tuple[Column, ...]
    merged_answers: bool = False
    merged_groups: bool = False
    withheld: bool = False


@dataclass(frozen=True)
class Change:
    """The headline share now and in the previous round, in percentage points."""

    question: str
    label: Text | None
    previous_round: int
    previous: float | None  # percent; None when it could not be shown
    current: float | None
    difference: float | None  # points
    low: float | None  # 95 % interval of the difference (Newcomb), points
    high: float | None

    @property
    def clear(self) -> bool:
        """The interval excludes zero: a change beyond what chance would make."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class Reasons:
    """A multiple-choice question's reasons among those it concerns (`among`), most named
    first; a count is None when hidden."""

    question: str
    role: Role
    among: Condition | None
    people: int | None
    top: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Weighted:
    """A headline share post-stratified to the population table (municipality × age band, or
    municipality alone when the finer strata are too small)."""

    question: str
    share: float
    strata: str  # "municipality_age" or "municipality"
    coverage: float  # share of the table's people in strata with respondents


@dataclass(frozen=True)
class CompositionRow:
    field: ProfileField
    group: str
    members: tuple[str, ...]
    respondents: int | None
    share: float | None  # of the respondents in the table's municipalities
    population: float | None  # the table's share, when there is a table


@dataclass(frozen=True)
class Funnel:
    suggested: int | None  # respondents the survey suggested a lab to (None: fewer than k)
    signed_up: int | None  # of them, how many signed up from that suggestion


@dataclass(frozen=True)
class KeyFigure:
    question: str
    overall: Distribution
    headline: Headline | None
    breakdowns: tuple[Breakdown, ...]
    change: Change | None = None
    weighted: Weighted | None = None


@dataclass(frozen=True)
class DecisionViews:
    survey: Survey
    code: str
    round_number: int
    completed: int
    k: int
    previous_round: int | None = None
    previous_completed: int | None = None
    roles_declared: bool = True  # False: the round's survey version says nothing of roles
    key: tuple[KeyFigure, ...] = ()
    push: tuple[Reasons, ...] = ()
    pull: tuple[Reasons, ...] = ()
    funnel: Funnel = field(default_factory=lambda: Funnel(None, None))
    composition: tuple[CompositionRow, ...] = ()
    population: Population | None = None
    filters: tuple[tuple[ProfileField, tuple[str, ...]], ...] = ()

    def breakdowns(self, by: ProfileField) -> list[Breakdown]:
        return [b for key in self.key for b in key.breakdowns if b.field == by]


class ViewError(ValueError):
    """A filter that would let a small group be worked out (its complement is under k)."""


class DecisionViewService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        k: int,
        population: Population | None = None,
    ):
        self._sessions = sessions
        self.k = k
        self.population = population

    async def rounds(self, code: str) -> list[int]:
        async with self._sessions() as session:
            return [r.number for r in await repo.list_rounds(session, code)]

    async def decision_views(
        self,
        code: str,
        round_number: int | None = None,
        where: dict[ProfileField, Iterable[str]] | None = None,
    ) -> DecisionViews | None:
        """Every view of a round (the latest without a number); None if there is no round."""
        async with self._sessions() as session:
            round_ = await surveys_repo.get_round(session, code, round_number)
            if round_ is None:
                return None
            survey = await _definition(session, code, round_.id)
            responses = await repo.completed_responses(session, round_.id)
            before = await repo.previous_round(session, code, round_.number)
            earlier = await repo.completed_responses(session, before.id) if before else None
            funnel = await repo.funnel(session, round_.id)
        filters = tuple((f, tuple(sorted(v))) for f, v in (where or {}).items())
        return await asyncio.to_thread(
            build,
            survey,
            code,
            round_.number,
            responses,
            self.k,
            previous=(before.number, earlier) if before and earlier is not None else None,
            funnel=funnel,
            population=self.population,
            filters=filters,
        )

    async def overview(self, code: str, round_number: int | None = None) -> DecisionViews | None:
        return await self.decision_views(code, round_number)

    async def by_field(
        self, code: str, by: ProfileField, round_number: int | None = None
    ) -> list[Breakdown]:
        views = await self.decision_views(code, round_number)
        return views.breakdowns(by) if views else []

    async def trend(self, code: str, round_number: int | None = None) -> list[Change]:
        views = await self.decision_views(code, round_number)
        return [k.change for k in views.key if k.change] if views else []

    async def push_pull(
        self, code: str, round_number: int | None = None
    ) -> tuple[tuple[Reasons, ...], tuple[Reasons, ...]]:
        views = await self.decision_views(code, round_number)
        return (views.push, views.pull) if views else ((), ())

    async def count_suggested(self, code: str, round_number: int) -> None:
        await self._count(code, round_number, "suggested")

    async def count_signed_up(self, code: str, round_number: int) -> None:
        await self._count(code, round_number, "signed_up")

    async def _count(self, code: str, round_number: int, step: str) -> None:
        async with self._sessions.begin() as session:
            round_ = await surveys_repo.get_round(session, code, round_number)
            if round_ is not None:
                await repo.count_in_funnel(session, round_.id, step)


async def _definition(session: AsyncSession, code: str, round_id: int) -> Survey:
    """The definition the round was answered with (its newest version), else the latest."""
    versions = await repo.round_versions(session, round_id)
    version = await surveys_repo.get_version(session, versions[0]) if versions else None
    if version is None:
        version = await surveys_repo.latest_version(session, code)
    assert version is not None, "a round is only opened for a recorded survey"
    return Survey.model_validate(version.definition)


def build(
    survey: Survey,
    code: str,
    round_number: int,
    responses: list[Answered],
    k: int,
    *,
    previous: tuple[int, list[Answered]] | None = None,
    funnel: tuple[int, int] = (0, 0),
    population: Population | None = None,
    filters: tuple[tuple[ProfileField, tuple[str, ...]], ...] = (),
) -> DecisionViews:
    """The views from the round's responses (synchronous: run it in a worker thread)."""
    chosen = _filtered(responses, filters, k)
    earlier = _filtered(previous[1], filters, k) if previous else None
    roles = any(q.report is not None for q in survey.ordered)
    suggested, signed_up = funnel
    views = DecisionViews(
        survey,
        code,
        round_number,
        len(chosen),
        k,
        previous_round=previous[0] if previous else None,
        previous_completed=len(earlier) if earlier is not None else None,
        roles_declared=roles,
        funnel=Funnel(
            suggested if suggested >= k else None,
            signed_up if signed_up >= k and suggested >= k else None,
        ),
        composition=composition(chosen, k, population),
        population=population,
        filters=filters,
    )
    if not roles:
        return views
    key = []
    for question in survey.reported(Role.KEY):
        figure = key_figure(survey, question, chosen, k)
        if previous and earlier is not None:
            figure = _with_change(figure, question, earlier, previous[0], k)
        if population is not None and figure.headline is not None:
            weighted = post_stratified(question, chosen, population, k)
            figure = KeyFigure(**{**figure.__dict__, "weighted": weighted})
        key.append(figure)
    return DecisionViews(
        **{
            **views.__dict__,
            "key": tuple(key),
            "push": tuple(reasons(survey, q, chosen, k) for q in survey.reported(Role.PUSH)),
            "pull": tuple(reasons(survey, q, chosen, k) for q in survey.reported(Role.PULL)),
        }
    )


def _filtered(
    responses: list[Answered], filters: tuple[tuple[ProfileField, tuple[str, ...]], ...], k: int
) -> list[Answered]:
    kept = [r for r in responses if all(_profile(r, f) in set(v) for f, v in filters)]
    left_out = len(responses) - len(kept)
    if 0 < left_out < k:
        raise ViewError(f"the filter leaves out {left_out} respondents, fewer than {k}")
    return kept


def _profile(response: Answered, by: ProfileField) -> str | None:
    return {
        ProfileField.MUNICIPALITY: response.municipality,
        ProfileField.AGE_BAND: response.age_band,
        ProfileField.STATUS: response.resident_status,
    }[by]


def options_of(question: Question) -> list[str]:
    if question.type == Kind.SCALE:
        return [str(n) for n in range(1, 6)]
    return [o.code for o in question.options] + (["other"] if question.other else [])


def _answers(question: Question, responses: Sequence[Answered]) -> list[tuple[Answered, str]]:
    return [(r, str(r.answers[question.code])) for r in responses if question.code in r.answers]


def key_figure(
    survey: Survey, question: Question, responses: Sequence[Answered], k: int
) -> KeyFigure:
    """A key question overall (with its headline share) and by each of its `by` fields."""
    report = question.report
    assert report is not None
    given = _answers(question, responses)
    options = options_of(question)
    counts = {o: 0 for o in options}
    for _, value in given:
        counts[value] = counts.get(value, 0) + 1
    headline_codes = [h for h in report.headline if h in counts]
    cells, shown, head = _protect_distribution(counts, headline_codes, k)
    withheld = shown and dominated(list(counts.values()))
    overall = Distribution(
        question.code,
        sum(counts.values()) if shown and not withheld else None,
        {c: (None if withheld else n) for c, n in cells.items()},
        withheld,
    )
    headline = None
    if headline_codes:
        h = sum(counts[c] for c in headline_codes)
        visible = head and not withheld
        headline = Headline(
            tuple(headline_codes),
            report.label,
            h if visible else None,
            overall.total if visible else None,
        )
    shown_headline = headline_codes if headline is not None and headline.count is not None else []
    breakdowns = tuple(
        breakdown(question, by, given, counts, overall.cells, shown_headline, k) for by in report.by
    )
    return KeyFigure(question.code, overall, headline, breakdowns)


def _protect_distribution(
    counts: dict[str, int], headline: list[str], k: int
) -> tuple[dict[str, int | None], bool, bool]:
    """The overall cells, whether the total may be shown, and whether the headline share may:
    with a headline, each side of it is protected on its own, since its total is shown."""
    total = sum(counts.values())
    if total < k:
        return {c: None for c in counts}, False, False
    if headline:
        h = sum(counts[c] for c in headline)
        split, _ = suppress({"h": h, "r": total - h}, k)
        if None not in split.values():
            inside, _ = suppress({c: counts[c] for c in headline}, k)
            outside, _ = suppress({c: n for c, n in counts.items() if c not in headline}, k)
            return {c: {**inside, **outside}[c] for c in counts}, True, True
    cells, shown = suppress(counts, k)
    return cells, shown, False


def breakdown(
    question: Question,
    by: ProfileField,
    given: list[tuple[Answered, str]],
    counts: dict[str, int],
    overall: dict[str, int | None],
    headline: list[str],
    k: int,
) -> Breakdown:
    """Answers × groups, k-safe: groups under k merged with a neighbour, answers merged to the
    headline vs the rest when the full table would hide too much, dominated groups merged; a
    breakdown left with one group (or none) is withheld."""
    options = list(counts)
    groups = _grouped(by, given)
    merged_groups = False
    groups, merged = _merge_small(groups, k)
    merged_groups |= merged
    merged_answers = False
    while True:
        if len(groups) < 2 or sum(overall[o] is not None for o in options) == 0:
            return Breakdown(question.code, by, tuple(options), (), withheld=True)
        rows = [HEADLINE, REST] if merged_answers else options

        table = [
            [
                sum(1 for v in values if _row_of(v, merged_answers, headline) == row)
                for values in groups.values()
            ]
            for row in rows
        ]
        alike = [i for i, col in enumerate(zip(*table, strict=True)) if dominated(list(col))]
        if alike:
            groups = _merge_at(groups, alike[0])
            merged_groups = True
            continue
        if merged_answers:
            hidden_rows: set[int] = set()
            blocks: list[list[int]] = []
        else:
            hidden_rows = {i for i, o in enumerate(options) if overall[o] is None}
            blocks = [[i for i, o in enumerate(options) if o in headline]] if headline else []
        protected = protect_table(table, k, hidden_rows, blocks)
        cells = [c for row in protected.cells for c in row]
        if protected.withheld or all(c is None for c in cells):
            return Breakdown(question.code, by, tuple(rows), (), withheld=True)
        hidden_share = sum(c is None for c in cells) / len(cells)
        if not merged_answers and headline and hidden_share > 0.5:
            merged_answers = True
            continue
        columns = tuple(
            Column(
                members[0],
                members,
                protected.column_totals[i],
                {row: protected.cells[j][i] for j, row in enumerate(rows)},
            )
            for i, members in enumerate(groups)
        )
        return Breakdown(
            question.code, by, tuple(rows), columns, merged_answers, merged_groups, False
        )


def _row_of(value: str, merged: bool, headline: list[str]) -> str:
    if merged:
        return HEADLINE if value in headline else REST
    return value


def _grouped(
    by: ProfileField, given: list[tuple[Answered, str]]
) -> dict[tuple[str, ...], list[str]]:
    """The answers of each group of the field, in the field's order (empty groups left out)."""
    found: dict[tuple[str, ...], list[str]] = {}
    for code, members in GROUPS[by]:
        values = [v for r, v in given if _profile(r, by) in members]
        if values:
            found[(code,)] = values
    return found


def _merge_small(
    groups: dict[tuple[str, ...], list[str]], k: int
) -> tuple[dict[tuple[str, ...], list[str]], bool]:
    merged = False
    while len(groups) > 1:
        small = [i for i, values in enumerate(groups.values()) if len(values) < k]
        if not small:
            break
        smallest = min(small, key=lambda i: len(list(groups.values())[i]))
        groups = _merge_at(groups, smallest)
        merged = True
    return groups, merged


def _merge_at(
    groups: dict[tuple[str, ...], list[str]], index: int
) -> dict[tuple[str, ...], list[str]]:
    """The group at `index` joined with its smaller neighbour (in the field's order)."""
    items = list(groups.items())
    sizes = [len(v) for _, v in items]
    neighbours = [i for i in (index - 1, index + 1) if 0 <= i < len(items)]
    other = min(neighbours, key=lambda i: sizes[i])
    first, second = sorted((index, other))
    joined = (items[first][0] + items[second][0], items[first][1] + items[second][1])
    return dict([*items[:first], joined, *items[second + 1 :]])


def reasons(survey: Survey, question: Question, responses: Sequence[Answered], k: int) -> Reasons:
    """How many of those the question concerns named each reason (several per person)."""
    report = question.report
    assert report is not None
    among = report.among
    concerned = [r for r in responses if among is None or _matches(among, r.answers)]
    answered = [r for r in concerned if r.answers.get(question.code)]
    people = len(answered)
    if people < k:
        return Reasons(question.code, report.role, among, None, ())
    counts: Counter[str] = Counter()
    for r in answered:
        value = r.answers[question.code]
        counts.update(set(value) if isinstance(value, list) else {str(value)})
    # Fewer than k, or (nearly) everyone: either would tell what someone chose.
    top = tuple((code, n if k <= n < people - 1 else None) for code, n in counts.most_common())
    shown = [item for item in top if item[1] is not None][:TOP_REASONS]
    return Reasons(question.code, report.role, among, people, tuple(shown))


def _matches(condition: Condition, answers: dict[str, Any]) -> bool:
    if condition.question not in answers:
        return False
    given = answers[condition.question]
    values = set(given) if isinstance(given, list) else {str(given)}
    if condition.in_ is not None and not values & set(condition.in_):
        return False
    return not (condition.not_in is not None and values & set(condition.not_in))


def _with_change(
    figure: KeyFigure, question: Question, earlier: list[Answered], previous_round: int, k: int
) -> KeyFigure:
    now = figure.headline
    if now is None:
        return figure
    before = Headline(now.options, now.label, None, None)
    given = [v for _, v in _answers(question, earlier)]
    total = len(given)
    if total >= k:
        h = sum(1 for v in given if v in now.options)
        cells, shown = suppress({"h": h, "r": total - h}, k)
        if shown and None not in cells.values():
            before = Headline(now.options, now.label, h, total)
    low = high = difference = None
    if now.count is not None and before.count is not None:
        assert now.total is not None and before.total is not None
        difference, low, high = changes.difference(now.count, now.total, before.count, before.total)
    change = Change(
        question.code, now.label, previous_round, before.share, now.share, difference, low, high
    )
    return KeyFigure(**{**figure.__dict__, "change": change})


def post_stratified(
    question: Question, responses: Sequence[Answered], population: Population, k: int
) -> Weighted | None:
    """The headline share weighted to the population: each stratum's share of respondents
    in the headline, times the stratum's share of people. In each stratum at least k must
    give the headline answer and k another; municipality × age band first, municipality alone
    if those are too small, else no weighted share."""
    report = question.report
    assert report is not None
    headline = set(report.headline)
    given = [
        (r.municipality, r.age_band, str(r.answers[question.code]) in headline)
        for r in responses
        if question.code in r.answers
    ]
    for strata in ("municipality_age", "municipality"):
        cells: dict[tuple[str, str | None], list[bool]] = {}
        for municipality, band, yes in given:
            if municipality not in population.municipalities:
                continue
            if strata == "municipality_age":
                if band not in population.bands:
                    continue
                key: tuple[str, str | None] = (municipality, band)
            else:
                key = (municipality, None)
            cells.setdefault(key, []).append(yes)
        # Each stratum's share is k-safe on its own (k saying yes and k saying no), or the
        # weighted and unweighted shares together could be solved for a group's answers.
        if not cells or any(sum(v) < k or len(v) - sum(v) < k for v in cells.values()):
            continue
        weights = {key: population.share(*key) for key in cells}
        covered = sum(weights.values())
        if covered <= 0:
            continue
        share = sum(weights[key] * sum(v) / len(v) for key, v in cells.items()) / covered
        return Weighted(question.code, 100 * share, strata, covered)
    return None


def composition(
    responses: Sequence[Answered], k: int, population: Population | None
) -> tuple[CompositionRow, ...]:
    """Respondents by municipality and by age band (k-safe), beside the population's shares.
    Shares are of the respondents living in the table's municipalities, when there is a table."""
    rows: list[CompositionRow] = []
    for by in (ProfileField.MUNICIPALITY, ProfileField.AGE_BAND):
        in_scope = [
            r
            for r in responses
            if population is None
            or by == ProfileField.MUNICIPALITY
            or r.municipality in population.municipalities
        ]
        counts = {
            members: sum(1 for r in in_scope if _profile(r, by) in members)
            for _, members in GROUPS[by]
        }
        cells, shown = suppress({"|".join(map(str, m)): n for m, n in counts.items()}, k)
        base = len(in_scope)
        if population is not None and by == ProfileField.MUNICIPALITY:
            base = sum(1 for r in in_scope if r.municipality in population.municipalities)
        for (code, members), key in zip(GROUPS[by], cells, strict=True):
            n = cells[key]
            if counts[members] == 0 and population is None:
                continue
            people = _population_share(population, by, code)
            share = None
            if n is not None and shown and base and (people is not None or population is None):
                share = 100 * n / base
            if counts[members] == 0 and people is None:
                continue
            rows.append(
                CompositionRow(
                    by, code, tuple(m for m in members if m), n if shown else None, share, people
                )
            )
    return tuple(rows)


def _population_share(population: Population | None, by: ProfileField, code: str) -> float | None:
    if population is None:
        return None
    if by == ProfileField.MUNICIPALITY:
        return (
            100 * population.share(municipality=code) if code in population.municipalities else None
        )
    return 100 * population.share(band=code) if code in population.bands else None


__all__ = [
    "Breakdown",
    "Change",
    "Column",
    "CompositionRow",
    "DecisionViewService",
    "DecisionViews",
    "Distribution",
    "Funnel",
    "Headline",
    "KeyFigure",
    "Reasons",
    "ViewError",
    "Weighted",
]
