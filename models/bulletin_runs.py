"""The month-end bulletin's occurrence rows: one per month, so it goes out exactly once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column
from models.cases import Case, CaseDepartment


class BulletinRunStatus(StrEnum):
    """Where a month's 通报 stands (docs/bulletin-signoff.mmd)."""

    SENT = "sent"  # sent at once, before sign-off existed (rows of earlier versions)
    MISSED = "missed"  # the bot was down past catch_up_hours: the coordinators were told
    DRAFT = "draft"  # sent to the coordinators for 签发
    SIGNED = "signed"  # 签发: numbered and sent to the audience
    RELEASED = "released"  # not signed by sign_by: sent unnumbered, as the org file says


class BulletinRun(Base):
    """The month's 通报: its draft, 工作要求, 签发 and number; one row a month, so exactly once."""

    __tablename__ = "bulletin_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # `2026-12`; unique, so a second tick, a restart or a second process cannot send it again.
    period: Mapped[str] = mapped_column(String(7), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[BulletinRunStatus] = mapped_column(state_column(BulletinRunStatus, 12))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(default=0)
    # 工作要求 typed by a coordinator, paragraphs separated by newlines.
    requirements: Mapped[str] = mapped_column(Text, default="")
    # Each regenerated draft is a new revision: its outbox rows carry it in their dedupe key.
    revision: Mapped[int] = mapped_column(default=0)
    # When the draft is released unsigned (or the coordinators reminded again).
    sign_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reminders: Mapped[int] = mapped_column(default=0)
    # 发文字号: the year's counter value and the text, assigned once at 签发.
    number_year: Mapped[int | None] = mapped_column(default=None)
    number: Mapped[int | None] = mapped_column(default=None)
    number_text: Mapped[str | None] = mapped_column(String(60), default=None)
    signed_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (UniqueConstraint("number_year", "number"),)


class DocumentCounter(Base):
    """The office's 发文字号 counter of one year: the last number given."""

    __tablename__ = "document_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


# The bulletin's month windows over other features' tables: declared here so the figures'
# access paths are visible beside the feature that needs them (migration 0007).
Index("ix_cases_created_at", Case.created_at)
Index("ix_cases_closed_created", Case.closed_at, Case.created_at)
Index("ix_case_departments_dispatched_at", CaseDepartment.dispatched_at)
