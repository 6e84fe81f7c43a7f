"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_, in_greenlet

# SQLite's busy handler is not first come, first served: in a burst (200 residents tapping
# "sign up" at once on a loaded machine) one writer can lose the race for over 10 s, and its
# sign-up failed with "database is locked". Every transaction here is short, so waiting longer
# is safe; it only bounds a real deadlock with another process.
SQLITE_BUSY_TIMEOUT_MS = 60_000
POOL_TIMEOUT_SECONDS = 120
# The SQL statements of the update in hand (the update processor sets a fresh tally for each):
# how many an update needs is a cost worth watching, per kind of update, in /metrics.
STATEMENTS: ContextVar[list[int] | None] = ContextVar("magnet_sql_statements", default=None)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine with the per-backend settings magnet-bot relies on."""
    # Errors name the statement but never its parameters: those hold Telegram ids and texts.
    kwargs.setdefault("hide_parameters", True)
    # In a burst (200 residents tapping "sign up" for one lab), transactions queue on the
    # lab's row lock while holding their connections, and the rest wait for one: past the
    # default 30 s on a loaded machine a sign-up failed. Waiting in line beats failing.
    if ":memory:" not in url and not url.rstrip("/").endswith(("sqlite:", "aiosqlite:")):
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "before_cursor_execute", _without_nul, retval=True)
    event.listen(engine.sync_engine, "before_cursor_execute", _tally)
    return engine


def _tally(*_args: Any) -> None:
    tally = STATEMENTS.get()
    if tally is not None:
        tally[0] += 1


def _without_nul(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """PostgreSQL refuses a NUL in text, and SQLite's functions stop at one: a NUL someone
    typed is stored as U+FFFD instead of failing the whole statement."""
    return statement, _clean(parameters)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, (list, tuple)):
        return type(value)(_clean(v) for v in value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


class _Writers:
    """One writer at a time, in the order they came, within this process.

    SQLite lets one transaction write at a time; the others wait in its busy handler, which
    sleeps 1, 2, 5, 10, ... up to 100 ms between tries and serves nobody in order. Under a
    realistic load (150 updates/s, most of them survey answers) a writer's BEGIN IMMEDIATE
    waited 4 ms at the median, 105 ms at p90 and 630 ms at p99 that way, while the lock was
    free most of the time. Queued on an asyncio lock instead, a writer starts the moment the
    one before it returned its connection. Other processes (a CLI command, a migration) still
    meet the busy handler; a writer that waited here longer than the busy timeout goes on to
    it too rather than wait for ever (a transaction that opened a second one would otherwise
    wait on itself).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._holder: object | None = None  # the DB-API connection that holds the lock

    def _current(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # tests run one engine in several loops, one after another
            self._loop, self._lock = loop, asyncio.Lock()
        return self._lock

    def enter(self, dbapi_connection: object) -> None:
        """Called in `begin`, in SQLAlchemy's greenlet: wait for our turn (unless this
        connection has it already: a second transaction before the connection went back)."""
        if dbapi_connection is self._holder or not in_greenlet():
            return
        lock = self._current()
        try:
            await_(asyncio.wait_for(lock.acquire(), SQLITE_BUSY_TIMEOUT_MS / 1000))
        except TimeoutError:
            return
        self._holder = dbapi_connection

    def leave(self, dbapi_connection: object) -> None:
        """The connection went back to the pool (its transaction ended) or was closed."""
        if dbapi_connection is not None and dbapi_connection is self._holder:
            self._holder = None
            if self._lock.locked():
                self._lock.release()


def _in_transaction(dbapi_connection: Any) -> bool:
    try:
        return bool(dbapi_connection.driver_connection.in_transaction)
    except (AttributeError, ValueError):  # closed, or not aiosqlite: as SQLAlchemy would
        return True


def _configure_sqlite(engine: AsyncEngine) -> None:
    writers = _Writers()
    # A COMMIT or ROLLBACK outside a transaction does nothing in sqlite3, but through
    # aiosqlite it still costs a trip to the connection's thread and back: the reads of every
    # update (autocommit) paid two for nothing, and every session one more when its
    # connection went back to the pool. sqlite3 itself knows whether a transaction is open.
    dialect = engine.sync_engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            commit(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            rollback(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine.sync_engine.pool, "checkin")
    @event.listens_for(engine.sync_engine.pool, "close")
    def _returned(dbapi_connection: Any, _record: Any) -> None:
        writers.leave(dbapi_connection)

    @event.listens_for(engine.sync_engine.pool, "invalidate")
    def _invalidated(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        writers.leave(dbapi_connection)

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
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            # A lone SELECT is consistent on its own in autocommit mode: no BEGIN, no lock.
            return
        # Writers queue at BEGIN (in this process on `writers`, elsewhere on the busy
        # timeout) instead of failing when a read lock cannot be upgraded; every transaction
        # here is short, so this costs little.
        writers.enter(conn.connection.dbapi_connection)
        conn.exec_driver_sql("BEGIN IMMEDIATE")


READ_ONLY_OPTION = "magnet_read_only"


async def read_only(session: AsyncSession) -> None:
    """Declare, before its first statement, that `session` only reads: its statements then
    run in autocommit mode, each consistent on its own, with no transaction around them. On
    SQLite it takes no write lock and no writer's turn (a BEGIN IMMEDIATE would queue it
    behind every writer); on PostgreSQL it saves the BEGIN and COMMIT round trips. What
    handlers read on every update (the resident, the open round, the labs) needs no more."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if session.bind.dialect.name != "sqlite":  # SQLite's connections are in autocommit already
        options["isolation_level"] = "AUTOCOMMIT"
    await session.connection(execution_options=options)


@contextlib.asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that only reads (see `read_only`)."""
    async with sessions() as session:
        await read_only(session)
        yield session


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
