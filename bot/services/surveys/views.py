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
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.surveys.analysis import (
    composition,
    filtered,
    key_figure,
    post_stratified,
    reasons,
    with_change,
)
from bot.services.surveys.definition import ProfileField, Role, Survey
from bot.services.surveys.population import Population
from bot.services.surveys.view_cache import ViewCache, population_key
from bot.services.surveys.view_types import (
    HEADLINE,
    MAGNET_MUNICIPALITY_GROUPS,
    REST,
    Breakdown,
    Change,
    Column,
    CompositionRow,
    DecisionViews,
    Distribution,
    Funnel,
    Grouping,
    Groups,
    Headline,
    KeyFigure,
    Reasons,
    ViewError,
    Weighted,
    grouping,
)
from storage.repositories import digests as repo
from storage.repositories import surveys as surveys_repo
from storage.repositories.digests import Answered

__all__ = [
    "HEADLINE",
    "MAGNET_MUNICIPALITY_GROUPS",
    "REST",
    "Breakdown",
    "Change",
    "Column",
    "CompositionRow",
    "DecisionViewService",
    "DecisionViews",
    "Distribution",
    "Funnel",
    "Grouping",
    "Groups",
    "Headline",
    "KeyFigure",
    "Reasons",
    "ViewError",
    "Weighted",
    "build",
    "grouping",
]


class DecisionViewService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        k: int,
        population: Population | None = None,
        municipality_groups: Groups = MAGNET_MUNICIPALITY_GROUPS,
        *,
        cached: bool = True,
    ):
        self._sessions = sessions
        self.k = k
        self.population = population
        self.cached = cached
        self._cache: ViewCache[DecisionViews] = ViewCache()
        # The town's municipality groups (its profile's), side by side in every breakdown;
        # fixed for the service's life, so the cache key need not hold them.
        self.groups = grouping(municipality_groups)

    async def rounds(self, code: str) -> list[int]:
        async with self._sessions() as session:
            return [r.number for r in await repo.list_rounds(session, code)]

    async def decision_views(
        self,
        code: str,
        round_number: int | None = None,
        where: dict[ProfileField, Iterable[str | None]] | None = None,
    ) -> DecisionViews | None:
        """Every view of a round (the latest without a number); None if there is no round.

        `where` keeps the respondents whose profile field is one of the given codes; None
        among them stands for "not stated" (the field left empty)."""
        filters = tuple((f, tuple(sorted(v, key=_unset_last))) for f, v in (where or {}).items())
        async with self._sessions() as session:
            round_ = await surveys_repo.get_round(session, code, round_number)
            if round_ is None:
                return None
            version = await _version_id(session, code, round_.id)
            before = await repo.previous_round(session, code, round_.number)
            funnel = await repo.funnel(session, round_.id)
            state = await repo.round_state(session, round_.id)
            earlier_state = await repo.round_state(session, before.id) if before else None
        key = (
            code,
            round_.id,
            round_.number,
            version,
            state,
            (before.id, before.number, earlier_state) if before else None,
            funnel,
            filters,
            self.k,
            population_key(self.population),
        )

        async def compute() -> DecisionViews:
            # Read afresh in a session of its own: what it reads is then at least as new
            # as the state in the key (a response completing in between is computed with
            # and keyed without it, so the next request misses and computes it again).
            async with self._sessions() as session:
                survey = await _definition(session, version)
                needed = questions_read(survey)
                responses = await repo.completed_responses(session, round_.id, needed)
                earlier = (
                    await repo.completed_responses(session, before.id, needed) if before else None
                )
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
                groups=self.groups,
            )

        if not self.cached:
            return await compute()
        return await self._cache.get(key, compute)

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


def _unset_last(code: str | None) -> tuple[bool, str]:
    return (code is None, code or "")


async def _version_id(session: AsyncSession, code: str, round_id: int) -> int:
    """The version the round was answered with (its newest), else the survey's latest."""
    versions = await repo.round_versions(session, round_id)
    version = await surveys_repo.get_version(session, versions[0]) if versions else None
    if version is None:
        version = await surveys_repo.latest_version(session, code)
    assert version is not None, "a round is only opened for a recorded survey"
    return version.id


async def _definition(session: AsyncSession, version_id: int) -> Survey:
    version = await surveys_repo.get_version(session, version_id)
    assert version is not None
    return Survey.model_validate(version.definition)


def questions_read(survey: Survey) -> set[str]:
    """The questions whose answers the views read: those with a role, and those their
    `among` conditions look at."""
    found = set()
    for question in survey.ordered:
        if question.report is not None:
            found.add(question.code)
            if question.report.among is not None:
                found.add(question.report.among.question)
    return found


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
    filters: tuple[tuple[ProfileField, tuple[str | None, ...]], ...] = (),
    groups: Grouping | None = None,
) -> DecisionViews:
    """The views from the round's responses (synchronous: run it in a worker thread)."""
    groups = groups if groups is not None else grouping()
    chosen = filtered(responses, filters, k, groups)
    try:
        earlier = filtered(previous[1], filters, k, groups) if previous else None
    except ViewError:  # the group could not be shown then: no comparison with that round
        earlier, previous = None, None
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
        composition=composition(chosen, k, population, groups),
        population=population,
        filters=filters,
        groups=groups,
    )
    if not roles:
        return views
    key = []
    for question in survey.reported(Role.KEY):
        figure = key_figure(survey, question, chosen, k, groups)
        if previous and earlier is not None:
            figure = with_change(figure, question, earlier, previous[0], k)
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
