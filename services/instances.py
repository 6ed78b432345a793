"""Which processes are alive, and the outbox rows of those that died.

Every process beats (`beat`) every few seconds. A process whose row is older than `timeout`
is dead: the outbox rows it had claimed (`sending`) go back to the queue, so the others carry
on with its chats within seconds instead of after the two-minute claim timeout. A row claimed
less than `timeout` ago is never taken back, so a process that has not beaten yet (or a test
courier that never beats) keeps what it is sending.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.instances import Instance
from models.outbox import OutboxMessage, OutboxStatus
from services.sql import conflict_insert


async def beat(session: AsyncSession, *, name: str, role: str, now: datetime) -> None:
    """This process is alive (the first beat registers it)."""
    stmt = conflict_insert(session, Instance).values(
        name=name, role=role, started_at=now, seen_at=now
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now, "role": role})
    )


async def leave(session: AsyncSession, name: str) -> None:
    """This process stops (a clean exit): no need to wait for its row to age."""
    await session.execute(delete(Instance).where(Instance.name == name))


async def alive(session: AsyncSession, *, now: datetime, silent_for: timedelta) -> dict[str, str]:
    """The live processes: name -> role."""
    rows = await session.execute(
        select(Instance.name, Instance.role).where(Instance.seen_at >= now - silent_for)
    )
    return {name: role for name, role in rows}


async def reclaim_orphans(session: AsyncSession, *, now: datetime, silent_for: timedelta) -> int:
    """Outbox rows claimed more than `silent_for` ago by a process that is not alive: queued again.

    Also forgets processes silent for ten times that (their rows are long requeued)."""
    live = select(Instance.name).where(Instance.seen_at >= now - silent_for)
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - silent_for,
            OutboxMessage.claimed_by.not_in(live),
        )
        .values(status=OutboxStatus.PENDING, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Instance).where(Instance.seen_at < now - 10 * silent_for))
    return int(getattr(result, "rowcount", 0) or 0)


# pg_advisory_xact_lock key for start-up (org sync, admins): "FIRE" in ASCII.
STARTUP_LOCK = 0x46495245


async def one_start_at_a_time(session: AsyncSession) -> None:
    """Processes started together sync the org file one after the other (PostgreSQL): the sync
    reads, then inserts what is missing, which two at once would both insert. Held until the
    transaction ends."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(STARTUP_LOCK)))
