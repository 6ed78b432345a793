"""instances and send_buckets: several processes on one PostgreSQL database

`instances` records each running process (heartbeat), so the outbox rows a dead process
claimed go back to the queue within seconds; `send_buckets` holds the bot token's shared
send budget (overall and per chat), so several couriers together stay inside Telegram's limits.

Revision ID: 0014_h16multi_instances
Revises: 0013_h14_followup_deadline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0014_h16multi_instances"
down_revision = "0013_h14_followup_deadline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instances")),
    )
    op.create_table(
        "send_buckets",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_buckets")),
    )


def downgrade() -> None:
    op.drop_table("send_buckets")
    op.drop_table("instances")
