"""Alembic environment: migrations run on a connection handed in by storage.migrate."""

from __future__ import annotations

from alembic import context

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `magnet-bot migrate` (storage.migrate), not bare alembic"
    )
_configure(connection)
with context.begin_transaction():
    context.run_migrations()
