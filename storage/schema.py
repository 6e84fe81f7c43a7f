"""Whether the database schema is current, answered without importing Alembic.

Alembic's script machinery (mako, its DDL modules, every revision file) takes about a fifth
of a second to import; the bot asks this once at every start and only migrates when behind.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# The head of storage/migrations/versions. tests/storage/test_schema.py holds it to Alembic's
# own head: a new migration updates it, or that test fails.
HEAD = "0013"

VERSION_TABLE = "alembic_version"


async def recorded_revisions(engine: AsyncEngine) -> list[str]:
    """The revisions the database says it is at (none before the first migration)."""
    async with engine.connect() as conn:
        if not await conn.run_sync(lambda sync: sync.dialect.has_table(sync, VERSION_TABLE)):
            return []
        rows = await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        return [row[0] for row in rows]


async def is_current(engine: AsyncEngine) -> bool:
    return await recorded_revisions(engine) == [HEAD]
