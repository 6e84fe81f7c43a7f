"""Export benchmark: completed survey responses exported to CSV, JSON and XLSX through the
HTTP endpoint. Prints seconds and peak Python memory; asserts only that every row arrived.

    MAGNET_BENCH_EXPORT=100000 .venv/bin/python -m pytest tests/bench/test_export_bench.py -s

Memory should not grow with the number of answers: the peak Python memory of each export
(measured in a second, traced run, so the timed run is not slowed) is printed for a tenth of
the responses and for all of them; rows are read in batches of 2,000.
"""

from __future__ import annotations

import os
import random
import time
import tracemalloc
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import func, insert, select

from bot.i18n import I18n
from bot.services.exports import ExportService
from bot.services.surveys.definition import Kind, shipped
from bot.services.surveys.service import Surveys
from bot.services.tokens import TokenService
from bot.web import WebServer, build_web_app
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.models import SurveyAnswer, SurveyResponse, SurveyRound, SurveyVersion, utcnow

RESPONSES = int(os.environ.get("MAGNET_BENCH_EXPORT", "2000"))
pytestmark = pytest.mark.bench


async def _seed(sessions, count: int, start: int) -> None:  # type: ignore[no-untyped-def]
    """Completed responses with plausible answers, inserted in bulk."""
    survey = shipped()[0]
    rng = random.Random(start)
    async with sessions.begin() as session:
        version_id = await session.scalar(select(SurveyVersion.id))
        round_id = await session.scalar(select(SurveyRound.id))
        now = utcnow()
        for offset in range(0, count, 5000):
            size = min(5000, count - offset)
            first_id = start + offset + 1
            await session.execute(
                insert(SurveyResponse),
                [
                    {
                        "id": first_id + i,
                        "round_id": round_id,
                        "version_id": version_id,
                        "respondent": f"{first_id + i:032x}",
                        "dedupe_hash": f"{first_id + i:064x}",
                        "anonymous": True,
                        "status": "completed",
                        "editing": False,
                        "municipality": rng.choice(("celje", "prebold", "savinjska")),
                        "age_band": rng.choice(("18_24", "25_34", "35_49")),
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
                for question in survey.path({"lives": "celje", "intention": "maybe_leave"}):
                    if question.type in (Kind.SINGLE,):
                        value: object = rng.choice(question.options).code
                    elif question.type == Kind.MULTI:
                        value = [o.code for o in rng.sample(question.options, 2)]
                    elif question.type == Kind.SCALE:
                        value = rng.randint(1, 5)
                    elif question.type == Kind.NUMBER:
                        value = rng.randint(0, 40)
                    else:
                        value = "Več stanovanj za mlade in boljši avtobus."
                    answers.append(
                        {
                            "response_id": first_id + i,
                            "version_id": version_id,
                            "question_code": question.code,
                            "value": value,
                            "answered_at": now,
                        }
                    )
            await session.execute(insert(SurveyAnswer), answers)


async def _export(
    http: aiohttp.ClientSession, url: str, token: str, traced: bool = False
) -> tuple[float, int, int]:
    """Seconds, peak Python memory of the export (MiB, when traced), and what arrived."""
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    size = lines = 0
    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - began
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] // 2**20
        tracemalloc.stop()
    return seconds, peak, lines if url.endswith(".csv") else size


@pytest.mark.timeout(3600)  # 100,000 responses take minutes to seed and export three ways
async def test_export_benchmark(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'export.sqlite3'}")
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    surveys = Surveys(sessions, shipped(), I18n(ZoneInfo("UTC")), "bench")
    await surveys.sync()
    await surveys.rounds.open(1, "stay_or_leave")
    tokens = TokenService(sessions)
    _, token = await tokens.create("bench")
    server = WebServer(
        build_web_app(ExportService(sessions), tokens, frozenset({"stay_or_leave"})),
        "127.0.0.1",
        0,
    )
    port = await server.start()
    base = f"http://127.0.0.1:{port}/api/exports/stay_or_leave"
    print(f"\nexport benchmark ({RESPONSES} completed responses, SQLite):")
    try:
        seeded = 0
        async with aiohttp.ClientSession() as http:
            for count in sorted({max(1, RESPONSES // 10), RESPONSES}):
                began = time.perf_counter()
                await _seed(sessions, count - seeded, seeded)
                seeded = count
                async with sessions() as session:
                    answers = await session.scalar(select(func.count()).select_from(SurveyAnswer))
                print(
                    f"  {count} responses, {answers} answers seeded in {time.perf_counter() - began:.1f} s"
                )
                for fmt in ("csv", "json", "xlsx"):
                    seconds, _, measure = await _export(http, f"{base}.{fmt}", token)
                    _, peak, _ = await _export(http, f"{base}.{fmt}", token, traced=True)
                    if fmt == "csv":
                        assert measure == count + 1  # the header and every response
                    print(
                        f"    {fmt:5} {seconds:6.2f} s, peak Python memory {peak} MiB"
                        + (f", {measure / 2**20:.1f} MiB sent" if fmt != "csv" else "")
                    )
    finally:
        await server.stop()
        await engine.dispose()
