"""Conversations ("What do we agree on?"): a question, statements, pseudonymous participants
and their votes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_sl", sa.String(length=512), nullable=False),
        sa.Column("question_en", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("results_sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index("ix_conversations_status", "conversations", ["status"])
    op.create_table(
        "conversation_participants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_participants_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_conversation_participants_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_participants")),
        sa.UniqueConstraint(
            "conversation_id",
            "resident_id",
            name="uq_conversation_participants_conversation_id_resident_id",
        ),
    )
    op.create_table(
        "conversation_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("text_sl", sa.Text(), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author"],
            ["conversation_participants.id"],
            name=op.f("fk_conversation_statements_author_conversation_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_statements_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_statements")),
    )
    op.create_index(
        "ix_conversation_statements_conversation_id_status",
        "conversation_statements",
        ["conversation_id", "status"],
    )
    op.create_table(
        "conversation_votes",
        sa.Column("participant", sa.String(length=32), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant"],
            ["conversation_participants.id"],
            name=op.f("fk_conversation_votes_participant_conversation_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["conversation_statements.id"],
            name=op.f("fk_conversation_votes_statement_id_conversation_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant", "statement_id", name=op.f("pk_conversation_votes")),
    )
    op.create_index("ix_conversation_votes_statement_id", "conversation_votes", ["statement_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_votes_statement_id", table_name="conversation_votes")
    op.drop_table("conversation_votes")
    op.drop_index(
        "ix_conversation_statements_conversation_id_status",
        table_name="conversation_statements",
    )
    op.drop_table("conversation_statements")
    op.drop_table("conversation_participants")
    op.drop_index("ix_conversations_status", table_name="conversations")
    op.drop_table("conversations")
