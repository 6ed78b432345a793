"""What an operator asks of a running bot: is it ready, and how much work is where.

Read from the database at the moment of asking, so any process (a `web` that does not tick,
a `worker` that does) answers the same, and nothing here counts in memory.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.bulletin_runs import BulletinRun
from models.cases import Case, CaseDepartment, CaseEvent, CaseStatus, DeptStatus, EventKind
from models.heartbeats import Heartbeat
from models.outbox import OutboxMessage
from models.reminders import ReminderSend
from services.clock import ensure_utc
from services.runtime import Runtime

TICK = "tick"


def process_name() -> str:
    """host:pid, readable in the heartbeat row."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


async def record_heartbeat(session: AsyncSession, name: str, now: datetime) -> None:
    """Say that `name` (the tick) just ran: one row per name, updated in place."""
    worker = process_name()
    done = await session.execute(
        update(Heartbeat).where(Heartbeat.name == name).values(at=now, worker=worker)
    )
    if getattr(done, "rowcount", 0):
        return
    try:
        async with session.begin_nested():
            session.add(Heartbeat(name=name, at=now, worker=worker))
    except IntegrityError:  # another process inserted it first: update theirs
        await session.execute(
            update(Heartbeat).where(Heartbeat.name == name).values(at=now, worker=worker)
        )


async def heartbeat_step(rt: Runtime, now: datetime) -> None:
    """The tick's last step: record that it ran (for /readyz in this or any other process)."""
    async with rt.transaction() as session:
        await record_heartbeat(session, TICK, now)


@dataclass(frozen=True)
class Readiness:
    """/readyz: ready when the database answers and the tick ran within three intervals."""

    database: bool
    last_tick_at: datetime | None
    tick_age: float | None  # seconds
    oldest_due_age: float | None  # seconds the oldest due outbox row has waited
    ready: bool
    reason: str | None


async def readiness(rt: Runtime, now: datetime, tick_seconds: float) -> Readiness:
    """Ask the database; a database that does not answer is `not ready`, never an exception."""
    try:
        async with rt.transaction() as session:
            await session.execute(text("SELECT 1"))
            last = await session.scalar(select(Heartbeat.at).where(Heartbeat.name == TICK))
            oldest = await _oldest_due(session, now)
    except Exception as exc:  # the point of readiness: any failure is an answer
        return Readiness(False, None, None, None, False, f"database: {type(exc).__name__}")
    last_at = ensure_utc(last) if last is not None else None
    tick_age = (now - last_at).total_seconds() if last_at is not None else None
    oldest_age = (now - oldest).total_seconds() if oldest is not None else None
    limit = 3 * tick_seconds
    reason = None
    if tick_age is None:
        reason = "the tick has not run yet"
    elif tick_age > limit:
        reason = f"the last tick was {tick_age:.0f} s ago (more than 3 ticks, {limit:g} s)"
    return Readiness(True, last_at, tick_age, oldest_age, reason is None, reason)


async def _oldest_due(session: AsyncSession, now: datetime) -> datetime | None:
    oldest = await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == "pending", OutboxMessage.not_before <= now
        )
    )
    return ensure_utc(oldest) if oldest is not None else None


@dataclass(frozen=True)
class Figures:
    """Gauges for /metrics, counted in the database (so the same in every process)."""

    outbox_by_state: dict[str, int] = field(default_factory=dict)
    oldest_due_age: float = 0.0
    open_cases_by_status: dict[str, int] = field(default_factory=dict)
    overdue_ladders: int = 0
    escalations: int = 0
    reminders_by_status: dict[str, int] = field(default_factory=dict)
    bulletins_by_status: dict[str, int] = field(default_factory=dict)
    last_tick_age: float | None = None


async def figures(session: AsyncSession, now: datetime) -> Figures:
    """Every count the metrics show, in a handful of grouped queries."""

    async def grouped(column: object, where: object = None) -> dict[str, int]:
        query = select(column, func.count()).group_by(column)  # type: ignore[call-overload]
        if where is not None:
            query = query.where(where)
        return {str(key): int(count) for key, count in await session.execute(query)}

    oldest = await _oldest_due(session, now)
    last = await session.scalar(select(Heartbeat.at).where(Heartbeat.name == TICK))
    overdue = await session.scalar(
        select(func.count())
        .select_from(CaseDepartment)
        .where(CaseDepartment.status == DeptStatus.PENDING, CaseDepartment.ack_due_at <= now)
    )
    escalations = await session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == EventKind.ESCALATED)
    )
    return Figures(
        outbox_by_state=await grouped(OutboxMessage.status),
        oldest_due_age=(now - oldest).total_seconds() if oldest is not None else 0.0,
        open_cases_by_status=await grouped(Case.status, Case.status != CaseStatus.CLOSED),
        overdue_ladders=int(overdue or 0),
        escalations=int(escalations or 0),
        reminders_by_status=await grouped(ReminderSend.status),
        bulletins_by_status=await grouped(BulletinRun.status),
        last_tick_age=(now - ensure_utc(last)).total_seconds() if last is not None else None,
    )
