"""Reminder state: one row per rule, per (rule, department, period), and per message sent."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column

OUTBOX_ID = BigInteger().with_variant(Integer(), "sqlite")


class OccurrenceStatus(StrEnum):
    """Where one department's occurrence of a rule stands."""

    OPEN = "open"  # reminded (or about to be); nothing recorded yet
    HELD = "held"  # meeting recorded as held (held_on)
    POSTPONED = "postponed"  # meeting moved to postponed_to; reminded again then


class SendKind(StrEnum):
    """Why a reminder message went out."""

    SCHEDULED = "scheduled"  # one lead time of the rule's calendar
    POSTPONED = "postponed"  # the new date of a postponed meeting
    MANUAL = "manual"  # /remind_now: recorded, not counted as the scheduled one


class SendStatus(StrEnum):
    """What became of one planned reminder."""

    SENT = "sent"  # written to the outbox
    MISSED = "missed"  # found later than its grace window: not sent, listed to coordinators
    SKIPPED = "skipped"  # superseded by a later lead, or the meeting was already settled


class ReminderRuleState(Base):
    """The runtime side of a rule from the org file: since when it counts, paused or not."""

    __tablename__ = "reminder_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    # Reminders due before this moment are none of the bot's business (rule added or resumed).
    active_since: Mapped[datetime] = mapped_column(UTCDateTime())
    # The last tick that looked at this rule; the next one looks back from here.
    checked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class ReminderOccurrence(Base):
    """One department's instance of a rule in one period (e.g. 公安分局, 2026-12)."""

    __tablename__ = "reminder_occurrences"
    __table_args__ = (
        UniqueConstraint("rule_key", "department_id", "period"),
        Index("ix_reminder_occurrences_postponed", "status", "postponed_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(48))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    period: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)  # local date, after 顺延/提前
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[OccurrenceStatus] = mapped_column(
        state_column(OccurrenceStatus, 12), default=OccurrenceStatus.OPEN
    )
    held_on: Mapped[date | None] = mapped_column(Date)
    postponed_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    postpone_count: Mapped[int] = mapped_column(default=0)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderSend(Base):
    """One planned reminder message; `send_key` makes each one happen at most once."""

    __tablename__ = "reminder_sends"
    __table_args__ = (Index("ix_reminder_sends_occurrence", "occurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # scheduled: rule:department:period:lead; postponed: …:post<n>; manual: …:manual:<epoch>
    send_key: Mapped[str] = mapped_column(String(200), unique=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("reminder_occurrences.id"))
    kind: Mapped[SendKind] = mapped_column(state_column(SendKind, 12))
    lead: Mapped[str | None] = mapped_column(String(24))
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[SendStatus] = mapped_column(state_column(SendStatus, 12))
    outbox_id: Mapped[int | None] = mapped_column(OUTBOX_ID, ForeignKey("outbox.id"))
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderNotice(Base):
    """A one-time notice to the coordinators (missing calendar year, unbound department)."""

    __tablename__ = "reminder_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HeldMeeting(BaseModel):
    """A meeting recorded as held (the bulletin counts these)."""

    model_config = ConfigDict(frozen=True)

    rule_key: str
    rule_name: str
    department_id: int
    department_name: str
    period: str
    held_on: date
    recorded_at: datetime
