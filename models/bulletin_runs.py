"""The month-end bulletin's occurrence rows: one per month, so it goes out exactly once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column
from models.cases import Case, CaseDepartment


class BulletinRunStatus(StrEnum):
    """What became of one month's automatic bulletin."""

    SENT = "sent"  # written to the outbox for the coordinators (and the leading group)
    MISSED = "missed"  # found later than its grace window: not sent, the coordinators told


class BulletinRun(Base):
    """The automatic bulletin of one month: sent (with its outbox rows) or recorded as missed."""

    __tablename__ = "bulletin_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # `2026-12`; unique, so a second tick, a restart or a second process cannot send it again.
    period: Mapped[str] = mapped_column(String(7), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[BulletinRunStatus] = mapped_column(state_column(BulletinRunStatus, 12))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(default=0)


# The bulletin's month windows over other features' tables: declared here so the figures'
# access paths are visible beside the feature that needs them (migration 0007).
Index("ix_cases_created_at", Case.created_at)
Index("ix_cases_closed_created", Case.closed_at, Case.created_at)
Index("ix_case_departments_dispatched_at", CaseDepartment.dispatched_at)
