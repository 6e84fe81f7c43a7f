"""Which replica runs the timed work: on PostgreSQL the one holding an advisory lock (if it
dies, its connection closes, the lock goes with it and another replica takes over); on SQLite
there is only one process, so always this one."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x6D61676E6574  # "magnet"


class Leadership:
    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY):
        self.engine = engine
        self.key = key
        self._connection: AsyncConnection | None = None
        self.is_leader = engine.dialect.name != "postgresql"

    async def check(self) -> bool:
        """True while this replica leads; tries to take the lead when it does not."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("lost the scheduler lock's connection: another replica may lead")
                await self._drop()
        connection = await self.engine.connect()
        try:
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
            await connection.commit()  # the lock is per session, not per transaction
        except Exception:
            await connection.close()
            raise
        if taken:
            self._connection = connection
            if not self.is_leader:
                log.info("this replica now runs the scheduled work")
            self.is_leader = True
            return True
        await connection.close()
        self.is_leader = False
        return False

    async def _drop(self) -> None:
        """Give the lock up. The connection goes back to a pool that keeps the database
        session (and with it a session-level lock) alive, so unlock first; if that fails,
        discard the connection so the session ends."""
        connection, self._connection = self._connection, None
        self.is_leader = False
        if connection is None:
            return
        try:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await connection.commit()
            await connection.close()
        except Exception:
            log.debug("unlocking failed; discarding the connection", exc_info=True)
            try:
                await connection.invalidate()
                await connection.close()
            except Exception:
                log.debug("discarding the lock connection failed", exc_info=True)

    async def release(self) -> None:
        """On a clean stop, let another replica take over at once."""
        await self._drop()
