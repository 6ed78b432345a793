"""Hazard cases (吹哨报到): the case, each department's part in it, its timeline and photos.

Everything the ladder needs to survive a restart is a column: the department's status, its
ladder step, `next_ping_at`, how often it was escalated. The tick reads only these rows.

The states (CaseStatus of a case, DeptStatus of each department's part) and the transitions
services/cases/lifecycle.py and tick.py make are drawn in docs/case-lifecycle.mmd.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column


class CaseStatus(StrEnum):
    """Where a case is in the closed loop (采集 → 派遣 → 报到 → 处置 → 核查 → 结案)."""

    TRIAGE = "triage"  # no rule covers it: the coordinators choose departments
    DISPATCHED = "dispatched"  # at least one department has not reported for duty
    IN_PROGRESS = "in_progress"  # every department reported for duty; not all resolved
    VERIFYING = "verifying"  # every department resolved; the reporter is asked to verify
    CLOSED = "closed"


class DeptStatus(StrEnum):
    """One department's part in a case."""

    PENDING = "pending"  # dispatched, not yet reported for duty: the ladder runs
    ACKED = "acked"  # reported for duty (报到)
    RESOLVED = "resolved"  # reported what it did (处置完成)
    REMOVED = "removed"  # taken off the case by a coordinator


class EventKind(StrEnum):
    """What happened to a case (the timeline, 留存记录)."""

    WHISTLED = "whistled"
    SUPPLEMENTED = "supplemented"
    TRIAGE = "triage"
    DISPATCHED = "dispatched"
    ACKED = "acked"
    ACKED_FOR = "acked_for"  # 代为报到: a coordinator reported for duty on the department's behalf
    ESCALATED = "escalated"
    ARRIVED = "arrived"  # 到场打卡 (data: distance_m, far, live)
    ARRIVE_ESCALATED = "arrive_escalated"  # reported for duty, not on site in time
    RESOLVE_ESCALATED = "resolve_escalated"  # 处置时限 passed without 处置完成
    RESOLVED = "resolved"
    VERIFY_ASKED = "verify_asked"
    VERIFY_OVERDUE = "verify_overdue"
    VERIFIED = "verified"
    REOPENED = "reopened"
    DEPT_ADDED = "dept_added"
    DEPT_REMOVED = "dept_removed"
    REASSIGNED = "reassigned"
    CLOSED = "closed"


class PhotoSource(StrEnum):
    """Where a case photo came from."""

    WHISTLE = "whistle"  # sent with the whistle (吹哨)
    SUPPLEMENT = "supplement"  # 补充到该案件
    RESOLUTION = "resolution"  # a department's 处置完成


class CaseNumberSeq(Base):
    """The last case number given out in a year (one row per year, bumped atomically)."""

    __tablename__ = "case_number_seq"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_duplicate", "category_key", "area_id", "created_at"),
        Index("ix_cases_status", "status", "verify_asked_at"),
        Index("ix_cases_reporter", "reporter_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    category_key: Mapped[str] = mapped_column(String(48))
    category_name: Mapped[str] = mapped_column(String(40))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reporter_chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CaseStatus] = mapped_column(state_column(CaseStatus, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verify_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verify_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    close_reason: Mapped[str | None] = mapped_column(String(500))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseDepartment(Base):
    """One department's part in a case, with its ladder state."""

    __tablename__ = "case_departments"
    __table_args__ = (
        UniqueConstraint("case_id", "department_id"),
        Index("ix_case_departments_due", "status", "next_ping_at"),
        Index("ix_case_departments_department", "department_id", "status"),
        Index("ix_case_departments_arrive_due", "status", "arrive_next_at"),
        Index("ix_case_departments_resolve_due", "status", "resolve_next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[DeptStatus] = mapped_column(state_column(DeptStatus, 16))
    # The org-file ladder this department follows, and its position on it.
    ladder_key: Mapped[str] = mapped_column(String(48))
    # Ladder rounds: 0 on dispatch, +1 each time the ladder restarts (reopen, re-added).
    ladder_round: Mapped[int] = mapped_column(Integer, default=0)
    ladder_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the first escalation of the current round falls due: 报到 before it is on time.
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # 代为报到: a coordinator reported for duty in the department's place (with a reason).
    acked_on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    first_acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 到场: when a member shared a location on site, and how far it was from the case's pin.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    arrive_distance_m: Mapped[int | None] = mapped_column(Integer)
    # The arrival chase (ladder `arrive_within`): the deadline, events handled, next look.
    arrive_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrive_step: Mapped[int] = mapped_column(Integer, default=0)
    arrive_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 处置时限 (from 报到, org file cases.resolve_within) and its chase: events handled, next look.
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_step: Mapped[int] = mapped_column(Integer, default=0)
    resolve_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The dispatch card in the department's group (an outbox row) and the text it shows now.
    card_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    card_text: Mapped[str | None] = mapped_column(Text)


class CaseEvent(Base):
    """One transition: who, when, what, from which chat."""

    __tablename__ = "case_events"
    __table_args__ = (
        Index("ix_case_events_case", "case_id", "id"),
        Index("ix_case_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[EventKind] = mapped_column(state_column(EventKind, 24))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CasePhoto(Base):
    """A photo of a case (Telegram file id): from the whistle, a supplement or a resolution."""

    __tablename__ = "case_photos"
    __table_args__ = (Index("ix_case_photos_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    file_id: Mapped[str] = mapped_column(String(255))
    source: Mapped[PhotoSource] = mapped_column(state_column(PhotoSource, 16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    added_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
