"""Dashboard benchmark: the time the bot's own server takes to serve each dashboard page
(survey, labs, announcements; the HTML page and its JSON) with a survey round of many completed
responses, beside a baseline served by the same server in the same run: the dashboard's static
stylesheet (aiohttp's static route behind the same middleware, no database, no template).
Prints the median of several requests and the ratio to the baseline; asserts only that every
page answered and the survey counted every response. The survey page is measured cold too
(its views computed from the database: the cache emptied first) and warm (the median, served
from the views cached for the round's state).

    MAGNET_BENCH_DASHBOARD=10000 .venv/bin/python -m pytest tests/bench/test_dashboard_bench.py -s

The times are measured by a client on the same machine, so they include the loopback round
trip; the baseline carries the same overhead, which the ratio takes out.
"""

from __future__ import annotations

import os
import random
import statistics
import time

import aiohttp
import pytest
from sqlalchemy import insert, select

from bot.emulator import BotAPIEmulator
from bot.services.surveys.definition import shipped
from storage.models import SurveyAnswer, SurveyResponse, SurveyRound, SurveyVersion, utcnow
from tests.support.answers import random_value
from tests.support.harness import ADMIN_ID, running_bot

RESPONSES = int(os.environ.get("MAGNET_BENCH_DASHBOARD", "300"))
REPEATS = int(os.environ.get("MAGNET_BENCH_DASHBOARD_REPEATS", "5"))
CODE = "stay_or_leave"
pytestmark = pytest.mark.bench


async def _seed(sessions, count: int) -> None:  # type: ignore[no-untyped-def]
    """Completed responses with plausible answers to the round's survey, inserted in bulk."""
    survey = next(s for s in shipped() if s.code == CODE)
    rng = random.Random(count)
    async with sessions.begin() as session:
        version_id = await session.scalar(
            select(SurveyVersion.id)
            .where(SurveyVersion.survey_code == CODE)
            .order_by(SurveyVersion.version.desc())
        )
        round_id = await session.scalar(
            select(SurveyRound.id).where(SurveyRound.survey_code == CODE)
        )
        now = utcnow()
        for offset in range(0, count, 2000):
            size = min(2000, count - offset)
            first = offset + 1
            await session.execute(
                insert(SurveyResponse),
                [
                    {
                        "id": first + i,
                        "round_id": round_id,
                        "version_id": version_id,
                        "respondent": f"{first + i:032x}",
                        "dedupe_hash": f"{first + i:064x}",
                        "anonymous": True,
                        "status": "completed",
                        "editing": False,
                        "municipality": rng.choice(("celje", "prebold", "savinjska", None)),
                        "age_band": rng.choice(("18_24", "25_34", "35_49", "50_64", None)),
                        "resident_status": "employed",
                        "started_at": now,
                        "updated_at": now,
                        "completed_at": now,
                    }
                    for i in range(size)
                ],
            )
            answers = []
            for i in range(size):
                path = {
                    "lives": "celje",
                    "intention": rng.choice(("probably_leave", "definitely_stay")),
                }
                for question in survey.path(path):
                    value = random_value(question, rng)
                    answers.append(
                        {
                            "response_id": first + i,
                            "version_id": version_id,
                            "question_code": question.code,
                            "value": value,
                            "answered_at": now,
                        }
                    )
            await session.execute(insert(SurveyAnswer), answers)


async def _median(http: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    """Median seconds over REPEATS requests (after one warm-up), and the body's size."""
    times, size = [], 0
    for attempt in range(REPEATS + 1):
        began = time.perf_counter()
        async with http.get(url, allow_redirects=False) as response:
            body = await response.read()
            assert response.status == 200, (url, response.status)
        if attempt:
            times.append(time.perf_counter() - began)
        size = len(body)
    return statistics.median(times), size


async def _once(http: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    began = time.perf_counter()
    async with http.get(url, allow_redirects=False) as response:
        body = await response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - began, len(body)


@pytest.mark.timeout(3600)
async def test_dashboard_benchmark(emulator: BotAPIEmulator, sqlite_url: str) -> None:
    async with running_bot(emulator, sqlite_url, http_port=0) as bot:
        await bot.services.surveys.rounds.open(ADMIN_ID, CODE)
        began = time.perf_counter()
        await _seed(bot.services.sessions, RESPONSES)
        seeded = time.perf_counter() - began
        _, token = await bot.services.tokens.create("bench")
        assert bot.runtime is not None and bot.runtime.web is not None
        base = f"http://127.0.0.1:{bot.runtime.web.port}/dashboard"
        # The cookie is Secure (the public address is HTTPS): sent by hand over loopback.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            async with http.post(
                f"{base}/login", data={"token": token}, allow_redirects=False
            ) as r:
                assert r.status == 303, r.status
                http.headers["Cookie"] = f"magnet_dashboard={r.cookies['magnet_dashboard'].value}"
            baseline, _ = await _median(http, f"{base}/static/app.css")
            print(
                f"\ndashboard benchmark ({RESPONSES} completed responses seeded in "
                f"{seeded:.1f} s, SQLite, median of {REPEATS}):"
            )
            print(f"  baseline: static stylesheet {baseline * 1000:8.1f} ms")
            views = bot.services.digests.views  # the instance the dashboard serves from
            for kind, url in (("page", f"{base}/survey"), ("json", f"{base}/api/survey")):
                views._cache.clear()
                seconds, size = await _once(http, url)
                print(
                    f"  survey cold   {kind}: {seconds * 1000:8.1f} ms, "
                    f"{size / 1024:6.1f} KiB, {seconds / baseline:7.1f}x the baseline"
                )
            async with http.get(f"{base}/api/survey") as r:
                assert (await r.json())["completed"] == RESPONSES  # the figures are the seeded
            for name in ("survey", "labs", "announcements"):
                for kind, url in (("page", f"{base}/{name}"), ("json", f"{base}/api/{name}")):
                    seconds, size = await _median(http, url)
                    print(
                        f"  {name:13} {kind}: {seconds * 1000:8.1f} ms, "
                        f"{size / 1024:6.1f} KiB, {seconds / baseline:7.1f}x the baseline"
                    )
