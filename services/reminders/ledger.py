"""The reminders' ledger: occurrence rows (rule or duty, department, period) and one row per
planned message under a unique send key; plus the one-time notices.

Any source of the engine whose occurrences are "a rule's period for a department" records here
(meeting and duty reminders today; work-plan tasks next, under rule keys of their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.reminders import (
    OccurrenceStatus,
    ReminderNotice,
    ReminderOccurrence,
    ReminderSend,
    SendKind,
    SendStatus,
)
from services.sql import insert_ignore

_CHUNK = 400  # keys per IN (…): well under every database's parameter limit


@dataclass(frozen=True)
class OccurrenceRef:
    """Which occurrence: a rule's (or duty's) period for one department, and when it is due."""

    rule_key: str
    department_id: int
    period: str
    due_on: date  # local date, after 顺延/提前
    due_at: datetime


async def occurrence_row(
    session: AsyncSession, ref: OccurrenceRef, now: datetime
) -> ReminderOccurrence:
    """Get or create the (rule, department, period) row."""
    values = {
        "rule_key": ref.rule_key,
        "department_id": ref.department_id,
        "period": ref.period,
        "due_on": ref.due_on,
        "due_at": ref.due_at,
        "status": OccurrenceStatus.OPEN,
        "postpone_count": 0,
        "created_at": now,
    }
    await insert_ignore(
        session, ReminderOccurrence, values, ["rule_key", "department_id", "period"]
    )
    row = await session.scalar(
        select(ReminderOccurrence).where(
            ReminderOccurrence.rule_key == ref.rule_key,
            ReminderOccurrence.department_id == ref.department_id,
            ReminderOccurrence.period == ref.period,
        )
    )
    assert row is not None
    return row


async def recorded_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """The send keys among `keys` that are recorded."""
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = list(keys[i : i + _CHUNK])
        found.update(
            await session.scalars(
                select(ReminderSend.send_key).where(ReminderSend.send_key.in_(chunk))
            )
        )
    return found


async def record_send(
    session: AsyncSession,
    *,
    key: str,
    occurrence: ReminderOccurrence,
    kind: SendKind,
    lead: str | None,
    fire_at: datetime,
    status: SendStatus,
    now: datetime,
    sent_by: int | None = None,
) -> ReminderSend | None:
    """Record one planned message; None if it was recorded before (then nothing more happens)."""
    values = {
        "send_key": key,
        "occurrence_id": occurrence.id,
        "kind": kind,
        "lead": lead,
        "fire_at": fire_at,
        "status": status,
        "sent_by": sent_by,
        "created_at": now,
    }
    send_id = await insert_ignore(session, ReminderSend, values, ["send_key"])
    return await session.get(ReminderSend, send_id) if send_id is not None else None


async def notice_once(session: AsyncSession, key: str, now: datetime) -> bool:
    """True the first time a notice key is seen (so each notice goes out once)."""
    seen = await session.scalar(select(ReminderNotice.id).where(ReminderNotice.key == key))
    if seen is not None:
        return False
    values = {"key": key, "created_at": now}
    return await insert_ignore(session, ReminderNotice, values, ["key"]) is not None
