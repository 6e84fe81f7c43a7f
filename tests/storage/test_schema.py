"""The start-up schema check (storage.schema) agrees with Alembic without importing it."""

from __future__ import annotations

from storage import migrate, schema
from storage.db import create_engine


def test_head_constant_is_alembics_head() -> None:
    assert migrate.head_revision() == schema.HEAD, (
        "storage/schema.py HEAD must name the newest migration in storage/migrations/versions"
    )


async def test_is_current_follows_the_migrations(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert await schema.recorded_revisions(engine) == []
        assert not await schema.is_current(engine)
        previous = migrate.revisions()[-2]
        await migrate.upgrade(engine, previous)
        assert await schema.recorded_revisions(engine) == [previous]
        assert not await schema.is_current(engine)
        await migrate.upgrade(engine)
        assert await schema.recorded_revisions(engine) == [await migrate.current_revision(engine)]
        assert await schema.is_current(engine)
        await migrate.downgrade(engine, "base")
        assert not await schema.is_current(engine)
    finally:
        await engine.dispose()
