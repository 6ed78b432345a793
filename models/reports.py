"""Monthly report submissions: one row per department, form and period; plus their history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column


class SubmissionStatus(StrEnum):
    """Where a department's report for one form and period stands (stored)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReportEventKind(StrEnum):
    """What happened to a submission (its history, report_events)."""

    STARTED = "started"  # the first member opened the form: the draft row was created
    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"  # submitted again after a coordinator unlocked it
    UNLOCKED = "unlocked"  # a coordinator reopened a submitted report for changes
    LATE_EDIT_REFUSED = "late_edit_refused"  # a change after the deadline, while locked


class BoardState(StrEnum):
    """What the status board shows for a department and form (derived, never stored)."""

    SUBMITTED = "submitted"  # before the deadline
    SUBMITTED_LATE = "submitted_late"  # after the deadline (once unlocked)
    DRAFT = "draft"  # started, deadline not passed
    MISSING = "missing"  # nothing yet, deadline not passed
    LATE = "late"  # deadline passed, nothing submitted

    @property
    def label(self) -> str:
        return BOARD_LABELS[self]

    def shown(self, *, required: bool) -> str:
        """The label; an optional (选报) form nobody sent was never due, so it is not 逾期."""
        return "— 未报送" if self is BoardState.LATE and not required else BOARD_LABELS[self]


BOARD_LABELS = {
    BoardState.SUBMITTED: "✅ 已提交",
    BoardState.SUBMITTED_LATE: "☑️ 逾期提交",
    BoardState.DRAFT: "📝 填写中",
    BoardState.MISSING: "⬜ 未填报",
    BoardState.LATE: "❌ 逾期未交",
}


class ReportSubmission(Base):
    """A department's report for one form and one month: the shared draft and what was submitted.

    Any member of the department fills the same row; `version` grows with every change so a
    stale button (an older message, a double press) is recognised and refused.
    """

    __tablename__ = "report_submissions"
    __table_args__ = (UniqueConstraint("department_id", "form_key", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    form_key: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[SubmissionStatus] = mapped_column(state_column(SubmissionStatus, 16))
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unlocked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class ReportEvent(Base):
    """What happened to a submission and who did it: started, submitted, unlocked, refused."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("report_submissions.id"), index=True)
    kind: Mapped[ReportEventKind] = mapped_column(state_column(ReportEventKind, 24))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(200))


class SubmissionInfo(BaseModel):
    """A submitted report as the bulletin and the viewer read it (answers as stored JSON)."""

    model_config = ConfigDict(frozen=True)

    id: int
    department_key: str
    department: str
    form_key: str
    form: str
    period: str
    answers: dict[str, Any]
    submitted_at: datetime
    submitted_by: str
    late: bool


class BoardCell(BaseModel):
    """One department × form on the status board."""

    model_config = ConfigDict(frozen=True)

    department_key: str
    department: str
    form_key: str
    form: str
    required: bool
    state: BoardState
    deadline_at: datetime
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    answered: int = 0
    questions: int = 0
    unlocked: bool = False


class ReportChaseMark(Base):
    """A reminder moment (or the late list) of one form and month that has been handled.

    The outbox dedupe keys already make each message go out once; this row lets the tick see
    "nothing new to do" with one query instead of checking every department every tick.
    """

    __tablename__ = "report_chase_marks"
    __table_args__ = (UniqueConstraint("form_key", "period", "moment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_key: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    moment: Mapped[str] = mapped_column(String(40))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    queued: Mapped[int] = mapped_column(Integer, default=0)
