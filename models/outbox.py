"""Outgoing messages: written in the same transaction as the state change, delivered after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

ID = BigInteger().with_variant(Integer(), "sqlite")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        Index("ix_outbox_chat_order", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # text | photo | media_group | document | location | edit_text | edit_markup
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str | None] = mapped_column(Text)
    parse_mode: Mapped[str | None] = mapped_column(String(16))
    buttons: Mapped[list[list[dict[str, str]]] | None] = mapped_column(JSON)
    media: Mapped[list[str] | None] = mapped_column(JSON)
    location: Mapped[dict[str, float] | None] = mapped_column(JSON)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_name: Mapped[str | None] = mapped_column(String(128))
    reply_to_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    target_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    # pending (waiting, or retrying after a transient error) | sending (claimed by a worker) |
    # sent | dead (a permanent error: never retried) | rerouted (chat unreachable: copied to the
    # coordinators and the leading group)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # Parts already sent (a long text or a long caption becomes several messages): a restart
    # resumes after them instead of sending them again.
    parts_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def first_message_id(self) -> int | None:
        return self.message_ids[0] if self.message_ids else None
