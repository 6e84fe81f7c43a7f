"""How far the lab suggestion at the end of the survey reaches: per round, how many
respondents were suggested a lab and how many signed up from it (counts only).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_funnel",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("suggested", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("signed_up", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_funnel_round_id_survey_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_survey_funnel")),
    )


def downgrade() -> None:
    op.drop_table("survey_funnel")
