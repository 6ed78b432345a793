"""dialogs: one draft per kind (the active one marked), redelivery guards

dialog_states is keyed by (user, chat, kind) so a second conversation parks the first instead
of replacing it; last_message_id remembers the newest message applied to the draft.
processed_updates records handled update ids, so a redelivered update is skipped.

Revision ID: 0009_h3_dialogs
Revises: 0008_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0009_h3_dialogs"
down_revision = "0008_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rebuilt (not altered) so SQLite can change the primary key; the rows are kept and each
    # becomes its person's active conversation, as it was.
    with op.batch_alter_table("dialog_states", recreate="always") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("last_message_id", sa.BigInteger(), nullable=True))
        batch.drop_constraint("pk_dialog_states", type_="primary")
        batch.create_primary_key("pk_dialog_states", ["user_id", "chat_id", "kind"])
    with op.batch_alter_table("dialog_states") as batch:
        batch.alter_column("active", server_default=None)
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        "ix_processed_updates_processed_at", "processed_updates", ["processed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_processed_updates_processed_at", table_name="processed_updates")
    op.drop_table("processed_updates")
    # Back to one conversation per person and chat: only the active ones survive.
    op.execute("DELETE FROM dialog_states WHERE NOT active")
    with op.batch_alter_table("dialog_states", recreate="always") as batch:
        batch.drop_constraint("pk_dialog_states", type_="primary")
        batch.create_primary_key("pk_dialog_states", ["user_id", "chat_id"])
        batch.drop_column("last_message_id")
        batch.drop_column("active")
