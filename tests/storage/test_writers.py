"""SQLite's writers within one process take turns in the order they came (storage.db)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text

from storage.db import READ_ONLY_OPTION, create_engine, create_sessionmaker, reading

WRITERS = 5  # SQLAlchemy's pool keeps five connections


@pytest.fixture
async def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'writers.sqlite3'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    await engine.dispose()


async def test_writers_go_in_the_order_they_came(engine) -> None:  # type: ignore[no-untyped-def]
    order: list[int] = []

    async def write(n: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            await asyncio.sleep(0.01)  # the event loop serves others meanwhile
            order.append(n)

    # The pool's five connections opened first, so that no writer waits for one.
    conns = [await engine.connect() for _ in range(WRITERS)]
    for conn in conns:  # reading only: no BEGIN, no turn taken
        await conn.execution_options(**{READ_ONLY_OPTION: True})
        await conn.exec_driver_sql("SELECT 1")
    for conn in conns:
        await conn.close()
    # Writers, each asking after the one before: SQLite's own busy handler lets whoever
    # retries at the right moment in, in any order.
    tasks = []
    for n in range(WRITERS):
        tasks.append(asyncio.create_task(write(n)))
        await asyncio.sleep(0.001)
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert order == list(range(WRITERS))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == WRITERS


async def test_a_failed_or_repeated_transaction_hands_the_turn_on(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("a handler failed mid-transaction")
    # Two transactions one after the other on one connection: the second does not wait on
    # the first's turn.
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t VALUES (2)"))
        await conn.commit()
        await asyncio.wait_for(conn.execute(text("INSERT INTO t VALUES (3)")), 5)
        await conn.commit()
    # And a connection that was thrown away mid-transaction gives its turn up too.
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t VALUES (4)"))
        await conn.invalidate()

    async def other_writer() -> int:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (5)"))
            return (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()

    assert await asyncio.wait_for(other_writer(), 5) == 3  # 2, 3 and 5


async def test_only_an_open_transaction_is_committed_or_rolled_back(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A COMMIT or ROLLBACK with no transaction open does nothing in sqlite3, but through
    aiosqlite it is a trip to the connection's thread: reads make none."""
    calls: list[str] = []
    for name in ("commit", "rollback"):
        plain = getattr(aiosqlite.Connection, name)

        async def counted(self, _plain=plain, _name=name):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return await _plain(self)

        monkeypatch.setattr(aiosqlite.Connection, name, counted)
    sessions = create_sessionmaker(engine)
    async with reading(sessions) as session:
        await session.execute(text("SELECT count(*) FROM t"))
    assert calls == []
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
    assert calls == ["commit"]
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("a handler failed")
    assert calls == ["commit", "rollback"]
    async with reading(sessions) as session:
        assert (await session.execute(text("SELECT n FROM t"))).scalars().all() == [1]
