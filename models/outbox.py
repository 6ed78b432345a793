"""Outgoing messages: written in the same transaction as the state change, delivered after commit.

The life of a row (OutboxStatus) is drawn in docs/outbox-row.mmd; services/delivery.py makes
every transition in it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column

ID = BigInteger().with_variant(Integer(), "sqlite")


class OutboxStatus(StrEnum):
    """Where one outbox row is on its way to Telegram (docs/outbox-row.mmd)."""

    PENDING = "pending"  # waiting, or retrying after a transient error (not_before)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    DEAD = "dead"  # a permanent error: never retried
    REROUTED = "rerouted"  # chat unreachable: copied to the coordinators and the leading group
    # The person has not opened their private chat with the bot yet: the row keeps its place
    # at the head of that chat until they send /start.
    HELD = "held"


class ErrorKind(StrEnum):
    """Why the last attempt at a row failed (shown by /outbox)."""

    # Telegram or the network was unwell: nothing about the message (services/delivery.py
    # TRANSIENT_KINDS); retried after a backoff.
    RATE_LIMITED = "rate_limited"  # 429: again after retry_after
    TIMEOUT = "timeout"
    NETWORK = "network"
    SERVER_ERROR = "server_error"  # 5xx
    UNEXPECTED = "unexpected"  # a bug or a closed connection pool: the row is kept
    # Another TelegramError: retried after a backoff too, its text shown by /outbox.
    TELEGRAM_ERROR = "telegram_error"
    # About the chat or the message.
    FORBIDDEN = "forbidden"  # 403 or chat not found: the chat is marked unreachable
    CHAT_MIGRATED = "chat_migrated"  # the group became a supergroup: moved, resent once
    NOT_STARTED = "not_started"  # the person has not opened the chat yet: held
    BAD_REQUEST = "bad_request"  # another 400: dead
    INVALID = "invalid"  # a row that can never be sent as it is: dead


class OutboxKind(StrEnum):
    """What a row asks Telegram to do: send one kind of message, or edit a sent one."""

    TEXT = "text"
    PHOTO = "photo"
    MEDIA_GROUP = "media_group"
    DOCUMENT = "document"
    LOCATION = "location"
    EDIT_TEXT = "edit_text"  # the text (and buttons) of the target row's last message
    EDIT_MARKUP = "edit_markup"  # only the buttons of the target row's last message


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
    kind: Mapped[OutboxKind] = mapped_column(state_column(OutboxKind, 16), default=OutboxKind.TEXT)
    text: Mapped[str | None] = mapped_column(Text)
    parse_mode: Mapped[str | None] = mapped_column(String(16))
    buttons: Mapped[list[list[dict[str, str]]] | None] = mapped_column(JSON)
    media: Mapped[list[str] | None] = mapped_column(JSON)
    location: Mapped[dict[str, float] | None] = mapped_column(JSON)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_name: Mapped[str | None] = mapped_column(String(128))
    reply_to_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    target_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    status: Mapped[OutboxStatus] = mapped_column(
        state_column(OutboxStatus, 12), default=OutboxStatus.PENDING
    )
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_kind: Mapped[ErrorKind | None] = mapped_column(state_column(ErrorKind, 32))
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
