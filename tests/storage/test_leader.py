"""One replica runs the timed work: the holder of a PostgreSQL advisory lock; when it goes,
another takes over. On SQLite there is one process, always the leader."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import create_engine
from tests.support.harness import eventually


async def test_one_leader_and_a_takeover(db_url: str) -> None:
    from bot.leader import Leadership

    first_engine, second_engine = create_engine(db_url), create_engine(db_url)
    first, second = Leadership(first_engine, key=4242), Leadership(second_engine, key=4242)
    try:
        if first_engine.dialect.name != "postgresql":
            assert await first.check() and await second.check()
            return
        assert await first.check() is True
        assert await second.check() is False  # the lock is taken
        assert await first.check() is True  # and kept
        await first.release()  # a clean stop, or a crash closing the connection
        assert await second.check() is True
        assert await first.check() is False
        # The holder's connection dies (its process is killed): the lock goes with it.
        assert second._connection is not None
        pid = await second._connection.scalar(text("SELECT pg_backend_pid()"))
        async with first_engine.connect() as admin:
            await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await eventually(first.check, timeout=60)
        assert first.is_leader
        assert await second.check() is False  # it notices it lost the lead
    finally:
        for leadership in (first, second):
            await leadership.release()
        await first_engine.dispose()
        await second_engine.dispose()
