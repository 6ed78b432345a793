"""bulletin indexes: month windows over cases and their departments

Revision ID: 0007_bulletin_indexes
Revises: 0006_bulletin, 0003_cases
"""

from __future__ import annotations

from alembic import op

revision = "0007_bulletin_indexes"
# The indexes are on the cases tables: this revision follows both branches.
down_revision = ("0006_bulletin", "0003_cases")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    op.create_index("ix_cases_closed_created", "cases", ["closed_at", "created_at"])
    op.create_index("ix_case_departments_dispatched_at", "case_departments", ["dispatched_at"])


def downgrade() -> None:
    op.drop_index("ix_case_departments_dispatched_at", table_name="case_departments")
    op.drop_index("ix_cases_closed_created", table_name="cases")
    op.drop_index("ix_cases_created_at", table_name="cases")
