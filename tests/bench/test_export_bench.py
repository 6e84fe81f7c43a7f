"""Export benchmark: completed survey responses exported to CSV, JSON and XLSX through the
HTTP endpoint, on SQLite and on PostgreSQL. Beside the CSV, in the same run on the same
database, the simplest thing that could work: a stdlib script (sqlite3 + csv; on PostgreSQL
asyncpg + csv) pivoting the same answers. Prints seconds, the ratio to that baseline and peak
Python memory; asserts only that every row arrived.

    MAGNET_BENCH_EXPORT=100000 .venv/bin/python -m pytest tests/bench/test_export_bench.py -s

Memory should not grow with the number of answers: the peak Python memory of each export
(measured in a second, traced run, so the timed run is not slowed) is printed for a tenth of
the responses and for all of them.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
import time
import tracemalloc
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import func, insert, select

from bot.i18n import I18n
from bot.services.exports import FIXED, ExportService, Plan
from bot.services.surveys.definition import shipped
from bot.services.surveys.service import Surveys
from bot.services.tokens import TokenService
from bot.web import WebServer, build_web_app
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.models import SurveyAnswer, SurveyResponse, SurveyRound, SurveyVersion, utcnow
from tests.support.answers import random_value

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
                    value = random_value(question, rng)
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


BASELINE_QUERY = """
SELECT r.id, r.version_id, r.completed_at, r.municipality, r.age_band, r.resident_status,
       a.question_code, a.value, a.other_text
FROM survey_responses r LEFT JOIN survey_answers a ON a.response_id = r.id
WHERE r.round_id = {round} AND r.status = 'completed' ORDER BY r.id
"""


class _Pivot:
    """The baseline's pivot: one joined row per answer in, one CSV row per response out."""

    def __init__(self, plan: Plan, out) -> None:  # type: ignore[no-untyped-def]
        self.plan = plan
        self.names = [c.name for c in plan.columns]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.multi: dict[str, list[str]] = {}
        for c in plan.columns:
            if c.kind == "multi":
                self.multi.setdefault(c.question or "", []).append(c.option or "")
        self.numbers = {vid: number for vid, (number, _) in plan.versions.items()}
        self.writer = csv.writer(out)
        self.writer.writerow(self.names)
        self.current, self.row, self.written = None, None, 0

    def feed(self, rows) -> None:  # type: ignore[no-untyped-def]
        index, multi, row = self.index, self.multi, self.row
        for rid, vid, done, municipality, age, status, code, value, other in rows:
            if rid != self.current:
                if row is not None:
                    self.writer.writerow(row)
                    self.written += 1
                self.current, row = rid, [None] * len(self.names)
                day = str(done)[:10] if done else None
                row[: len(FIXED)] = [
                    f"R{self.written + 1:06d}",
                    self.plan.round_number,
                    self.numbers[vid],
                    day,
                    municipality,
                    age,
                    status,
                ]
            if code is None:
                continue
            value = json.loads(value) if isinstance(value, str) else value
            if code in multi:
                for option in multi[code]:
                    row[index[f"{code}.{option}"]] = 1 if option in (value or ()) else 0
            elif code in index:
                row[index[code]] = value
            if other and f"{code}.other_text" in index:
                row[index[f"{code}.other_text"]] = other
        self.row = row

    def finish(self) -> int:
        if self.row is not None:
            self.writer.writerow(self.row)
            self.written += 1
        return self.written


def _sqlite_baseline(database: Path, plan: Plan, out: Path) -> tuple[float, int]:
    began = time.perf_counter()
    connection = sqlite3.connect(database)
    with out.open("w", newline="", encoding="utf-8") as handle:
        pivot = _Pivot(plan, handle)
        pivot.feed(connection.execute(BASELINE_QUERY.format(round=plan.round_id)))
        written = pivot.finish()
    connection.close()
    return time.perf_counter() - began, written


async def _asyncpg_baseline(dsn: str, plan: Plan, out: Path) -> tuple[float, int]:
    import asyncpg

    began = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    query = BASELINE_QUERY.format(round=plan.round_id).replace("a.value", "a.value::text")
    try:
        with out.open("w", newline="", encoding="utf-8") as handle:
            pivot = _Pivot(plan, handle)
            async with connection.transaction():
                cursor = await connection.cursor(query)
                while rows := await cursor.fetch(5000):
                    pivot.feed(rows)
            written = pivot.finish()
    finally:
        await connection.close()
    return time.perf_counter() - began, written


async def _benchmark(url: str, label: str, baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    surveys = Surveys(sessions, shipped(), I18n(ZoneInfo("UTC")), "bench")
    await surveys.sync()
    await surveys.rounds.open(1, "stay_or_leave")
    tokens = TokenService(sessions)
    _, token = await tokens.create("bench")
    exports = ExportService(sessions)
    server = WebServer(build_web_app(exports, tokens, frozenset({"stay_or_leave"})), "127.0.0.1", 0)
    port = await server.start()
    base = f"http://127.0.0.1:{port}/api/exports/stay_or_leave"
    print(f"\nexport benchmark ({RESPONSES} completed responses, {label}):")
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
                plan = await exports.plan("stay_or_leave")
                simple, written = await baseline(plan, tmp_path / "baseline.csv")
                assert written == count
                for fmt in ("csv", "json", "xlsx"):
                    seconds, _, measure = await _export(http, f"{base}.{fmt}", token)
                    _, peak, _ = await _export(http, f"{base}.{fmt}", token, traced=True)
                    if fmt == "csv":
                        assert measure == count + 1  # the header and every response
                    print(
                        f"    {fmt:5} {seconds:6.2f} s, peak Python memory {peak} MiB"
                        + (f", {measure / 2**20:.1f} MiB sent" if fmt != "csv" else "")
                        + (
                            f"; baseline (stdlib pivot, same database) {simple:.2f} s, "
                            f"ratio {seconds / simple:.2f}x"
                            if fmt == "csv"
                            else ""
                        )
                    )
    finally:
        await server.stop()
        await engine.dispose()


@pytest.mark.timeout(3600)  # 100,000 responses take minutes to seed and export three ways
async def test_export_benchmark_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "export.sqlite3"

    async def baseline(plan: Plan, out: Path) -> tuple[float, int]:
        return _sqlite_baseline(database, plan, out)

    await _benchmark(f"sqlite+aiosqlite:///{database}", "SQLite", baseline, tmp_path)


@pytest.mark.timeout(3600)
async def test_export_benchmark_postgresql(postgres_url: str, tmp_path: Path) -> None:
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")

    async def baseline(plan: Plan, out: Path) -> tuple[float, int]:
        return await _asyncpg_baseline(dsn, plan, out)

    await _benchmark(postgres_url, "PostgreSQL", baseline, tmp_path)
