"""Shared state of several processes on one PostgreSQL database: who is alive, what was sent.

`instances`: one row per running process (its outbox worker id), refreshed every few seconds;
a row that stops being refreshed is a dead process whose claimed outbox rows go back to the
queue. `send_buckets`: the bot token's leaky buckets (key 0: the ~30 msg/s overall budget,
otherwise a chat id), shared by every process that sends with the token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class Instance(Base):
    """A running `firegrid run | web | worker` process."""

    __tablename__ = "instances"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # the outbox worker id
    role: Mapped[str] = mapped_column(String(16))  # run | web | worker
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SendBucket(Base):
    """One leaky bucket of the token's send budget: `level` messages at second `at`."""

    __tablename__ = "send_buckets"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    level: Mapped[float] = mapped_column(Float)
    # Seconds on the budget's clock (the database server's clock in production, so processes
    # on several machines agree; a test's virtual clock in tests).
    at: Mapped[float] = mapped_column(Float)
