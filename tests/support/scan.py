"""Look through every column of every table for traces of a person."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Base


async def find_traces(
    sessions: async_sessionmaker[AsyncSession], needles: list[str]
) -> list[tuple[str, str, str]]:
    """(table, column, needle) for each value that contains one of the needles.

    A numeric needle (a Telegram id) counts only as a whole number, not as digits
    inside a longer one, and timestamps are not searched: a test resident's short id
    such as 622 would otherwise turn up in the milliseconds of any `at` column."""
    found = []
    patterns = {
        n: re.compile(rf"(?<!\d){re.escape(n)}(?!\d)" if n.isdigit() else re.escape(n))
        for n in needles
        if n
    }
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(select(table))
            for row in rows.mappings():
                for column, value in row.items():
                    if isinstance(value, (dt.date, dt.time)):
                        continue
                    text = value.decode(errors="ignore") if isinstance(value, bytes) else str(value)
                    found += [
                        (table.name, column, n) for n, p in patterns.items() if p.search(text)
                    ]
    return found


async def find_resident_links(
    sessions: async_sessionmaker[AsyncSession], resident_id: int
) -> list[tuple[str, str]]:
    """(table, column) for each column that points at residents.id and still holds this
    resident's database id (SQLite does not always enforce the foreign keys that would)."""
    found = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not any(fk.column.table.name == "residents" for fk in column.foreign_keys):
                    continue
                rows = await session.execute(select(column).where(column == resident_id))
                if rows.first() is not None:
                    found.append((table.name, column.name))
    return found
