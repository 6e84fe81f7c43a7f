"""Seed the MAGNET Hub in Celje and the MiniHub in Prebold.

Street addresses are the town's to set (`magnet-bot hubs set-address`); the seed carries
the post code and town, which are certain.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HUBS = [
    {
        "code": "celje",
        "name_sl": "MAGNET Hub Celje",
        "name_en": "MAGNET Hub Celje",
        "address": "3000 Celje",
        "municipality": "celje",
    },
    {
        "code": "prebold",
        "name_sl": "MiniHub Prebold",
        "name_en": "MiniHub Prebold",
        "address": "3312 Prebold",
        "municipality": "prebold",
    },
]


def upgrade() -> None:
    hubs = sa.table(
        "hubs",
        sa.column("code", sa.String),
        sa.column("name_sl", sa.String),
        sa.column("name_en", sa.String),
        sa.column("address", sa.String),
        sa.column("municipality", sa.String),
    )
    op.bulk_insert(hubs, HUBS)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM hubs WHERE code IN ('celje', 'prebold')"))
