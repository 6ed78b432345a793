"""heartbeats: when the tick last ran, for /readyz in any process

Revision ID: 0010_h16_web_heartbeats
Revises: 0009_h3_dialogs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0010_h16_web_heartbeats"
down_revision = "0009_h3_dialogs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
