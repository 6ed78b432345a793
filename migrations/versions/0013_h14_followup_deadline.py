"""case_departments: 处置时限 (the deadline after 报到) and its chase; 代为报到

acked_on_behalf marks a 报到 a coordinator made in the department's place.

resolve_due_at is set at 报到 from the org file's cases.resolve_within; resolve_step and
resolve_next_at drive 处置催办 and the escalation after the deadline from rows.

Revision ID: 0013_h14_followup_deadline
Revises: 0012_h14_followup_arrival
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0013_h14_followup_deadline"
down_revision = "0012_h14_followup_arrival"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_departments") as batch:
        batch.add_column(
            sa.Column("resolve_due_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("resolve_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("resolve_next_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("acked_on_behalf", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index(
            "ix_case_departments_resolve_due", ["status", "resolve_next_at"], unique=False
        )
    with op.batch_alter_table("case_departments") as batch:
        batch.alter_column("resolve_step", server_default=None)
        batch.alter_column("acked_on_behalf", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("case_departments") as batch:
        batch.drop_index("ix_case_departments_resolve_due")
        batch.drop_column("acked_on_behalf")
        batch.drop_column("resolve_next_at")
        batch.drop_column("resolve_step")
        batch.drop_column("resolve_due_at")
