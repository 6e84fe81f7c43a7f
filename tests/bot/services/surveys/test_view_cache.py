"""The decision views kept between requests: on a varied round (every municipality and age
band, "not stated" too, two rounds, the population table) the cached views are the very
figures an uncached service computes, for every round and group filter; a response that
completes, or a completed one erased, is in the next figures served at once."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from bot.dashboard.survey_source import all_groups
from bot.i18n import I18n
from bot.services.surveys.definition import Survey, shipped
from bot.services.surveys.population import load_population
from bot.services.surveys.service import Surveys
from bot.services.surveys.view_cache import ViewCache
from bot.services.surveys.views import DecisionViews, DecisionViewService, ViewError
from storage.models import SurveyAnswer, SurveyResponse
from tests.support.answers import random_value
from tests.support.surveys import seed_completed

K = 5
CODE = "stay_or_leave"
EXAMPLE = Path(__file__).resolve().parents[4] / "bot/content/population/celje_prebold.example.yaml"


def survey() -> Survey:
    return next(s for s in shipped() if s.code == CODE)


def varied(seed: int, n: int) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    """Answers to every question on a respondent's path, drawn at random (some skipped)."""
    rng = random.Random(seed)
    definition, found = survey(), []
    for _ in range(n):
        path = {"lives": "celje", "intention": rng.choice(definition.question("intention").values)}  # type: ignore[union-attr]
        answers: dict[str, Any] = {}
        for question in definition.path(path):
            if rng.random() < 0.1 and question.code not in path:
                continue  # skipped
            value = path.get(question.code) or random_value(
                question, rng, picks=(1, 3), text="Več zelenja."
            )
            answers[question.code] = value
        municipality = rng.choice(("celje", "celje", "prebold", "savinjska", "zalec", None))
        band = rng.choice(("u18", "18_24", "25_34", "35_49", "50_64", "65_plus", None))
        found.append((municipality, band, answers))
    return found


async def _two_rounds(sessions) -> Surveys:  # type: ignore[no-untyped-def]
    surveys = Surveys(sessions, shipped(), I18n(ZoneInfo("Europe/Ljubljana"), "sl"), "k")
    await surveys.sync()
    await surveys.rounds.open(1, CODE)
    await seed_completed(sessions, CODE, survey(), varied(1, 90))
    await surveys.rounds.close(1, CODE)
    await surveys.rounds.open(1, CODE)
    await seed_completed(sessions, CODE, survey(), varied(2, 140))
    return surveys


async def _views(
    service: DecisionViewService, round_number: int | None, where: Any
) -> DecisionViews | str | None:
    try:
        return await service.decision_views(CODE, round_number, where=where)
    except ViewError:
        return "refused"


async def test_cached_views_are_the_figures_computed_afresh(sessions) -> None:  # type: ignore[no-untyped-def]
    await _two_rounds(sessions)
    population = load_population(EXAMPLE)
    cached = DecisionViewService(sessions, K, population)
    fresh = DecisionViewService(sessions, K, population, cached=False)
    filters = [None] + [{g.field: g.members} for g in all_groups()]
    compared = 0
    for _ in range(2):  # the second pass is served from the cache
        for number in (1, 2, None):
            for where in filters:
                got = await _views(cached, number, where)
                assert got == await _views(fresh, number, where), (number, where)
                compared += isinstance(got, DecisionViews) and got.completed > 0
    assert compared > 10  # the dataset did give figures to compare
    assert cached._cache.hits >= cached._cache.misses > 0
    latest = await cached.decision_views(CODE)
    assert latest is not None and latest.completed == 140 and latest.previous_completed == 90
    assert any(f.weighted for f in latest.key) and any(
        b.columns for f in latest.key for b in f.breakdowns
    )


async def test_a_completed_response_or_an_erased_one_is_served_at_once(sessions) -> None:  # type: ignore[no-untyped-def]
    await _two_rounds(sessions)
    service = DecisionViewService(sessions, K)
    first = await service.decision_views(CODE)
    assert first is not None and await service.decision_views(CODE) is first  # from the cache

    await seed_completed(sessions, CODE, survey(), varied(3, 6))
    more = await service.decision_views(CODE)
    assert more is not None and more.completed == first.completed + 6
    assert more == await DecisionViewService(sessions, K, cached=False).decision_views(CODE)

    async with sessions.begin() as session:  # a completed response erased
        gone = await session.scalar(select(func.max(SurveyResponse.id)))
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == gone))
        await session.execute(delete(SurveyResponse).where(SurveyResponse.id == gone))
    fewer = await service.decision_views(CODE)
    assert fewer is not None and fewer.completed == more.completed - 1
    assert fewer == await DecisionViewService(sessions, K, cached=False).decision_views(CODE)


async def test_the_cache_is_bounded_and_computes_a_key_once_for_concurrent_asks() -> None:
    import asyncio

    cache: ViewCache[int] = ViewCache(size=2)
    calls = 0
    gate = asyncio.Event()

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return calls

    waiting = [asyncio.ensure_future(cache.get("a", compute)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == [1, 1, 1] and calls == 1
    for key in ("b", "c"):
        await cache.get(key, compute)
    assert len(cache) == 2 and await cache.get("a", compute) == 4  # "a" was dropped

    async def failing() -> int:
        raise ViewError("no")

    with pytest.raises(ViewError):
        await cache.get("d", failing)
    assert await cache.get("d", compute) == 5  # a failure is not kept
