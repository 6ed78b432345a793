"""reminders: rule state, occurrences per department and period, sends, one-time notices

Revision ID: 0004_reminders
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0004_reminders"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("active_since", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_until", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["paused_by"], ["people.id"], name=op.f("fk_reminder_rules_paused_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_rules")),
        sa.UniqueConstraint("key", name=op.f("uq_reminder_rules_key")),
    )
    op.create_table(
        "reminder_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(length=48), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("postponed_to", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("postpone_count", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_reminder_occurrences_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["people.id"], name=op.f("fk_reminder_occurrences_recorded_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_occurrences")),
        sa.UniqueConstraint(
            "rule_key",
            "department_id",
            "period",
            name=op.f("uq_reminder_occurrences_rule_key_department_id_period"),
        ),
    )
    with op.batch_alter_table("reminder_occurrences", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminder_occurrences_postponed", ["status", "postponed_to"], unique=False
        )

    op.create_table(
        "reminder_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("send_key", sa.String(length=200), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("lead", sa.String(length=24), nullable=True),
        sa.Column("fire_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["reminder_occurrences.id"],
            name=op.f("fk_reminder_sends_occurrence_id_reminder_occurrences"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_reminder_sends_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"], ["people.id"], name=op.f("fk_reminder_sends_sent_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sends")),
        sa.UniqueConstraint("send_key", name=op.f("uq_reminder_sends_send_key")),
    )
    with op.batch_alter_table("reminder_sends", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_sends_occurrence", ["occurrence_id"], unique=False)

    op.create_table(
        "reminder_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_reminder_notices_key")),
    )


def downgrade() -> None:
    op.drop_table("reminder_notices")
    with op.batch_alter_table("reminder_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_sends_occurrence")
    op.drop_table("reminder_sends")
    with op.batch_alter_table("reminder_occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_occurrences_postponed")
    op.drop_table("reminder_occurrences")
    op.drop_table("reminder_rules")
