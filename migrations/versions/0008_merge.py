"""merge the feature branches into one head

The first features were built in parallel, each on top of 0001_foundation. This revision joins
them so that every later migration has a single parent (`alembic revision` works as usual).

Revision ID: 0008_merge
Revises: 0002_delivery, 0004_reminders, 0005_reports, 0007_bulletin_indexes
(0003_cases comes in through 0007_bulletin_indexes, which follows it)
"""

from __future__ import annotations

revision = "0008_merge"
down_revision = (
    "0002_delivery",
    "0004_reminders",
    "0005_reports",
    "0007_bulletin_indexes",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the schema is the union of the branches."""


def downgrade() -> None:
    """Nothing to change."""
