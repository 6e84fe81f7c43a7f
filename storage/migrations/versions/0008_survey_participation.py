"""A finished survey response no longer carries the hash that found it: who took part in a
round is kept apart, in survey_participation, with nothing that points to the answers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_participation",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_participation_round_id_survey_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "dedupe_hash", name=op.f("pk_survey_participation")),
    )
    op.execute(
        "INSERT INTO survey_participation (round_id, dedupe_hash) "
        "SELECT round_id, dedupe_hash FROM survey_responses WHERE status = 'completed'"
    )
    with op.batch_alter_table("survey_responses") as batch:
        batch.alter_column("dedupe_hash", existing_type=sa.String(length=64), nullable=True)
    op.execute("UPDATE survey_responses SET dedupe_hash = NULL WHERE status = 'completed'")
    # The hash key may no longer live beside the data it protects: it comes from
    # MAGNET_SURVEY_SECRET. (Set that to this row's value before upgrading to keep matching
    # this round's earlier participants.)
    op.execute("DELETE FROM app_secrets WHERE name = 'survey_hash'")


def downgrade() -> None:
    # The links are gone by design: finished responses get a placeholder that finds no one.
    op.execute("UPDATE survey_responses SET dedupe_hash = respondent WHERE dedupe_hash IS NULL")
    with op.batch_alter_table("survey_responses") as batch:
        batch.alter_column("dedupe_hash", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("survey_participation")
