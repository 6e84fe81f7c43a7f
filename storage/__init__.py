"""The database: models, engine and session factory, repositories, Alembic migrations."""
