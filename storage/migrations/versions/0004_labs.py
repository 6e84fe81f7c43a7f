"""Labs and hub events, residents' registrations; which feature a resident's typed text is for.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "labs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=True),
        sa.Column("author_telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("author_locale", sa.String(length=8), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("title_sl", sa.String(length=256), nullable=True),
        sa.Column("title_en", sa.String(length=256), nullable=True),
        sa.Column("description_sl", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("reminder_minutes", sa.JSON(), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("next_ticket", sa.Integer(), nullable=False),
        sa.Column("reminders_done", sa.JSON(), nullable=False),
        sa.Column("alerts_sent", sa.JSON(), nullable=False),
        sa.Column("feedback_requested_at", sa.DateTime(), nullable=True),
        sa.Column("feedback_reported_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name=op.f("fk_labs_hub_id_hubs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labs")),
    )
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.create_index("ix_labs_status_starts_at", ["status", "starts_at"], unique=False)

    op.create_table(
        "lab_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.Integer(), nullable=False),
        sa.Column("checkin_code", sa.String(length=8), nullable=False),
        sa.Column("offer_expires_at", sa.DateTime(), nullable=True),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("checked_in_by", sa.BigInteger(), nullable=True),
        sa.Column("feedback_useful", sa.Integer(), nullable=True),
        sa.Column("feedback_again", sa.Integer(), nullable=True),
        sa.Column("feedback_text", sa.Text(), nullable=True),
        sa.Column("feedback_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lab_id"],
            ["labs.id"],
            name=op.f("fk_lab_registrations_lab_id_labs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_lab_registrations_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_registrations")),
        sa.UniqueConstraint("checkin_code", name=op.f("uq_lab_registrations_checkin_code")),
        sa.UniqueConstraint(
            "lab_id", "resident_id", name="uq_lab_registrations_lab_id_resident_id"
        ),
    )
    with op.batch_alter_table("lab_registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lab_registrations_lab_id_status_ticket",
            ["lab_id", "status", "ticket"],
            unique=False,
        )
        batch_op.create_index(
            "ix_lab_registrations_status_offer_expires_at",
            ["status", "offer_expires_at"],
            unique=False,
        )

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting", sa.String(length=32), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_column("awaiting")

    with op.batch_alter_table("lab_registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_registrations_status_offer_expires_at")
        batch_op.drop_index("ix_lab_registrations_lab_id_status_ticket")

    op.drop_table("lab_registrations")
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.drop_index("ix_labs_status_starts_at")

    op.drop_table("labs")
