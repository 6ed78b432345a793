"""case_departments: 到场 (arrival on site) and its chase

arrived_at / arrived_by / arrive_distance_m record the arrival; arrive_due_at, arrive_step and
arrive_next_at drive the 到场催办 ladder from rows (indexed like the 报到 ladder).

Revision ID: 0012_h14_followup_arrival
Revises: 0010_h16_web_heartbeats
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0012_h14_followup_arrival"
down_revision = "0011_h15_docs_signoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_departments") as batch:
        batch.add_column(
            sa.Column("arrived_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("arrived_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("arrive_distance_m", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("arrive_due_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("arrive_step", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("arrive_next_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_foreign_key(
            op.f("fk_case_departments_arrived_by_people"), "people", ["arrived_by"], ["id"]
        )
        batch.create_index(
            "ix_case_departments_arrive_due", ["status", "arrive_next_at"], unique=False
        )
    with op.batch_alter_table("case_departments") as batch:
        batch.alter_column("arrive_step", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("case_departments") as batch:
        batch.drop_index("ix_case_departments_arrive_due")
        batch.drop_constraint(op.f("fk_case_departments_arrived_by_people"), type_="foreignkey")
        batch.drop_column("arrive_next_at")
        batch.drop_column("arrive_step")
        batch.drop_column("arrive_due_at")
        batch.drop_column("arrive_distance_m")
        batch.drop_column("arrived_by")
        batch.drop_column("arrived_at")
