"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine with the per-backend settings magnet-bot relies on."""
    # Errors name the statement but never its parameters: those hold Telegram ids and texts.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN IMMEDIATE below is honoured.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if ":memory:" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers queue on the busy timeout at BEGIN instead of failing when a read lock
        # cannot be upgraded; every transaction here is short, so this costs little.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


OUTBOX_ADDED = "magnet.outbox_added"


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # A Session class of its own, so that commit hooks belong to this sessionmaker alone
    # (tests run several bots, each with its own database, in one process).
    session_class = type("MagnetSession", (Session,), {})
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=session_class)


def mark_outbox_added(session: AsyncSession) -> None:
    """Called by the outbox repository: this transaction queued messages."""
    session.info[OUTBOX_ADDED] = True


def on_outbox_commit(
    sessions: async_sessionmaker[AsyncSession], callback: Callable[[], None]
) -> None:
    """Call `callback` after each commit that queued outbox messages (the engine's wake-up),
    so that no caller has to remember to wake the delivery engine."""
    session_class = sessions.kw["sync_session_class"]

    @event.listens_for(session_class, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.info.pop(OUTBOX_ADDED, False):
            callback()

    @event.listens_for(session_class, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(OUTBOX_ADDED, None)
