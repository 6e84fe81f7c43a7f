"""The export's pipeline (a task fetching batches ahead, a worker thread converting them in
order): a query that fails part way fails the export, whether the fetched batches had filled
the queue or not, and a reader that goes away stops the query instead of leaving it running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.services import exports as exports_module
from bot.services.exports import ExportService
from tests.bot.services.surveys.test_versions_export import CODE, surveys, version_one


class BrokenQuery(RuntimeError):
    pass


def _fake_stream(batches: int, fail: bool, closed: list[bool]):  # type: ignore[no-untyped-def]
    async def stream(session: Any, round_id: int, batch: int) -> AsyncIterator[list[Any]]:
        try:
            for n in range(batches):
                await asyncio.sleep(0)
                yield [(0, "2026-12-01", "celje", "18_24", "student", None)] * (n + 1)
            if fail:
                raise BrokenQuery("the connection went away")
            await asyncio.Event().wait()  # a query that would run on and on
        finally:
            closed.append(True)

    return stream


async def _plan(sessions):  # type: ignore[no-untyped-def]
    service = await surveys(sessions, [version_one()])
    await service.rounds.open(1, CODE)
    exports = ExportService(sessions)
    return exports, await exports.plan(CODE)


@pytest.mark.parametrize("batches", [1, 2 * exports_module.AHEAD + 1])
async def test_a_query_failing_part_way_fails_the_export(sessions, monkeypatch, batches) -> None:  # type: ignore[no-untyped-def]
    exports, plan = await _plan(sessions)
    closed = _replace_query(monkeypatch, plan, batches, fail=True)
    chunks = []
    with pytest.raises(BrokenQuery):
        async for chunk in exports.csv_chunks(plan):
            chunks.append(chunk)
            await asyncio.sleep(0.01)  # a slow reader: the fetch runs ahead and fills the queue
    # The header, then every batch fetched before the failure but the last, which is dropped
    # with the failure or not: never a batch out of order, never a hang.
    rows = b"".join(chunks).decode("utf-8-sig").splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == [f"R{n:06d}" for n in range(1, len(rows) + 1)]
    assert closed == [True]


async def test_a_reader_that_goes_away_stops_the_query(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    exports, plan = await _plan(sessions)
    closed = _replace_query(monkeypatch, plan, 2, fail=False)
    chunks = exports.csv_chunks(plan)
    assert (await anext(chunks)).startswith(b"\xef\xbb\xbfrespondent")
    assert (await anext(chunks)).startswith(b"R000001")
    await chunks.aclose()
    for _ in range(100):
        if closed:
            break
        await asyncio.sleep(0.01)
    assert closed == [True]
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "export fetch"]


def _with_version(stream, version_id: int):  # type: ignore[no-untyped-def]
    async def bound(session: Any, round_id: int, batch: int) -> AsyncIterator[list[Any]]:
        async for rows in stream(session, round_id, batch):
            yield [(version_id, *row[1:]) for row in rows]

    return bound


def _replace_query(monkeypatch, plan, batches: int, fail: bool) -> list[bool]:  # type: ignore[no-untyped-def]
    """The export's query replaced by `batches` batches of the plan's version, then a failure
    or a wait without end; the list returned is told when the query was closed."""
    (version_id,) = plan.versions
    closed: list[bool] = []
    monkeypatch.setattr(
        exports_module.surveys_repo,
        "stream_completed_rows",
        _with_version(_fake_stream(batches, fail, closed), version_id),
    )
    return closed
