"""Migrations on SQLite and PostgreSQL: the stairway, and no drift from the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from storage import migrate
from storage.db import create_engine
from storage.models import Base, Hub


async def test_stairway_upgrade_downgrade_upgrade_each_revision(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        previous = "base"
        for revision in migrate.revisions():
            await migrate.upgrade(engine, revision)
            assert await migrate.current_revision(engine) == revision
            await migrate.downgrade(engine, previous)
            assert await migrate.current_revision(engine) == (
                None if previous == "base" else previous
            )
            await migrate.upgrade(engine, revision)
            previous = revision
        assert await migrate.is_current(engine)
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(tables) <= {"alembic_version"}
    finally:
        await engine.dispose()


async def test_models_match_the_migrations(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        assert diff == []
    finally:
        await engine.dispose()


async def test_hubs_are_seeded(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(select(Hub.code, Hub.name_sl, Hub.address))).all()
        assert {(r.code, r.name_sl) for r in rows} == {
            ("celje", "MAGNET Hub Celje"),
            ("prebold", "MiniHub Prebold"),
        }
        assert all(r.address for r in rows)
    finally:
        await engine.dispose()
