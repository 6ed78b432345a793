"""bulletin: the month-end bulletin's occurrence rows

Revision ID: 0006_bulletin
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0006_bulletin"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletin_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("due_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_runs")),
        sa.UniqueConstraint("period", name=op.f("uq_bulletin_runs_period")),
    )


def downgrade() -> None:
    op.drop_table("bulletin_runs")
