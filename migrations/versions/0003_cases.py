"""cases: whistled hazards, each department's part and ladder, timeline, photos, numbering

Revision ID: 0003_cases
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0003_cases"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_number_seq",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_case_number_seq")),
    )

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("category_key", sa.String(length=48), nullable=False),
        sa.Column("category_name", sa.String(length=40), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reporter_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verify_asked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verify_escalated_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_cases_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["people.id"], name=op.f("fk_cases_closed_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["people.id"], name=op.f("fk_cases_reporter_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["people.id"], name=op.f("fk_cases_verified_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_duplicate", ["category_key", "area_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_cases_reporter", ["reporter_id", "id"], unique=False)
        batch_op.create_index("ix_cases_status", ["status", "verify_asked_at"], unique=False)

    op.create_table(
        "case_departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ladder_key", sa.String(length=48), nullable=False),
        sa.Column("ladder_round", sa.Integer(), nullable=False),
        sa.Column("ladder_started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("next_ping_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ping_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("dispatched_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ack_due_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sa.Integer(), nullable=True),
        sa.Column("first_acked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("removed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "card_outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("card_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acked_by"], ["people.id"], name=op.f("fk_case_departments_acked_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["card_outbox_id"],
            ["outbox.id"],
            name=op.f("fk_case_departments_card_outbox_id_outbox"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_departments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_case_departments_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["people.id"], name=op.f("fk_case_departments_resolved_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_departments")),
        sa.UniqueConstraint(
            "case_id", "department_id", name=op.f("uq_case_departments_case_id_department_id")
        ),
    )
    with op.batch_alter_table("case_departments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_departments_department", ["department_id", "status"], unique=False
        )
        batch_op.create_index("ix_case_departments_due", ["status", "next_ping_at"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_case_events_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_case_events_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case", ["case_id", "id"], unique=False)
        batch_op.create_index("ix_case_events_kind_at", ["kind", "at"], unique=False)

    op.create_table(
        "case_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"], ["people.id"], name=op.f("fk_case_photos_added_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_case_photos_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_photos")),
    )
    with op.batch_alter_table("case_photos", schema=None) as batch_op:
        batch_op.create_index("ix_case_photos_case", ["case_id", "id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("case_photos", ["ix_case_photos_case"]),
        ("case_events", ["ix_case_events_kind_at", "ix_case_events_case"]),
        ("case_departments", ["ix_case_departments_due", "ix_case_departments_department"]),
        ("cases", ["ix_cases_status", "ix_cases_reporter", "ix_cases_duplicate"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
    op.drop_table("case_number_seq")
