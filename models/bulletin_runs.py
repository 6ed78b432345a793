"""The month-end bulletin's occurrence rows: one per month, so it goes out exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class BulletinRun(Base):
    """The automatic bulletin of one month: sent (with its outbox rows) or recorded as missed."""

    __tablename__ = "bulletin_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # `2026-12`; unique, so a second tick, a restart or a second process cannot send it again.
    period: Mapped[str] = mapped_column(String(7), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # sent | missed
    status: Mapped[str] = mapped_column(String(12))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(default=0)
