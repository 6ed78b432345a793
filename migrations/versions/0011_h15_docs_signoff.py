"""bulletin sign-off: the draft's 工作要求, revision and deadline, 签发 and 发文字号 per year

Revision ID: 0011_h15_docs_signoff
Revises: 0010_h16_web_heartbeats
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0011_h15_docs_signoff"
down_revision = "0010_h16_web_heartbeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin_runs") as batch:
        batch.add_column(sa.Column("requirements", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("sign_by", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("reminders", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("number_year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("number_text", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("signed_by", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("signed_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_unique_constraint(
            "uq_bulletin_runs_number_year_number", ["number_year", "number"]
        )
    with op.batch_alter_table("bulletin_runs") as batch:
        batch.alter_column("requirements", server_default=None)
        batch.alter_column("revision", server_default=None)
        batch.alter_column("reminders", server_default=None)
    op.create_table(
        "document_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_document_counters")),
    )


def downgrade() -> None:
    op.drop_table("document_counters")
    with op.batch_alter_table("bulletin_runs") as batch:
        batch.drop_constraint("uq_bulletin_runs_number_year_number", type_="unique")
        for column in (
            "signed_at",
            "signed_by",
            "number_text",
            "number",
            "number_year",
            "reminders",
            "sign_by",
            "revision",
            "requirements",
        ):
            batch.drop_column(column)
