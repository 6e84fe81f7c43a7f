"""A migrated database on each backend, for the storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import migrate
from storage.db import create_engine, create_sessionmaker


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
