"""Where each person is in a multi-step conversation, kept in the database to survive restarts.

One row per person, chat and kind of conversation, so a whistle draft and a 处置 note can
both wait; `active` marks the one the person's next message goes to (at most one per person
and chat, kept so by services/dialogs.py). `last_message_id` is the newest message whose
answer is in this row: a redelivered message is recognised by it (see services/dialogs.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class DialogState(Base):
    __tablename__ = "dialog_states"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    step: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
