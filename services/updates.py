"""Telegram updates handled once, even when Telegram delivers one again.

Telegram redelivers every update after the last confirmed offset: a process that dies after
handling an update but before its next getUpdates (or a webhook answer lost on the way)
sees it again on restart. Two guards, each covering what the other cannot:

1. `processed_updates` (here): an update is looked up before any handler runs and recorded
   after they all ran (handlers/updates.py). It survives a restart, covers every kind of
   update (commands such as /invite or /remind_now included) and costs one indexed read and
   one insert per update. It is recorded *after* handling, not claimed before, so a process
   killed in the middle of a handler gets the update again instead of losing it.
2. The draft's `last_message_id` (services/dialogs.py), written in the same transaction as
   the answer: it covers the window between an answer's commit and (1)'s insert, where a
   repeated photo or text would otherwise be stored twice or fill the next question.

The look-up costs a database read only for update ids this process cannot vouch for
(`HandledUpdates`): at or below the newest id recorded before it started, i.e. the updates
Telegram may be delivering again after a restart. Newer ids are checked against the ids this
process handled itself. Each update still costs one insert. On PostgreSQL several processes
may receive updates (`firegrid web` behind a load balancer; Telegram may send an update again
to another one), so there only the ids handled here are known without a look-up (`shared`).

Rows are pruned after KEEP (Telegram keeps undelivered updates for 24 hours; update ids
restart at random only after a week without updates, long after the rows are gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.updates import ProcessedUpdate
from services.runtime import Runtime
from services.sql import insert_ignore

KEEP = timedelta(days=3)
# Ids handled by this process that are remembered in memory before the floor moves up.
RECENT_LIMIT = 50_000


async def was_processed(session: AsyncSession, update_id: int) -> bool:
    """Whether this update was handled already."""
    found = await session.scalar(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    return found is not None


async def mark_processed(session: AsyncSession, update_id: int, now: datetime) -> None:
    """Record the update as handled (twice is harmless)."""
    values = {"update_id": update_id, "processed_at": now}
    await insert_ignore(
        session, ProcessedUpdate, values, ["update_id"], returning=ProcessedUpdate.update_id
    )


async def prune_processed(session: AsyncSession, before: datetime) -> int:
    """Forget updates handled before `before`; the number forgotten."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_step(rt: Runtime, now: datetime) -> int:
    """Tick step: drop the records older than KEEP (a read only, when there are none)."""
    before = now - KEEP
    async with rt.transaction() as session:
        old = await session.scalar(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.processed_at < before).limit(1)
        )
        return 0 if old is None else await prune_processed(session, before)


@dataclass
class HandledUpdates:
    """What this process knows about handled update ids, so most look-ups need no query.

    `floor`: the newest id recorded before this process began (loaded on first use); ids at or
    below it are looked up in the database. `recent`: the ids above it handled since. The
    database stays the truth: every handled id is inserted there as well.
    """

    floor: int | None = None
    recent: set[int] = field(default_factory=set)
    limit: int = RECENT_LIMIT
    # Several processes receive updates (PostgreSQL): one this process has not handled may
    # have been handled by another, so only "handled here" is known without the database.
    shared: bool = False

    def known(self, update_id: int) -> bool | None:
        """True or False when this process can tell by itself; None: ask `seen`."""
        if self.floor is None or update_id <= self.floor:
            return None
        if self.shared:
            return True if update_id in self.recent else None
        return update_id in self.recent

    async def seen(self, session: AsyncSession, update_id: int, now: datetime) -> bool:
        """Whether this update was handled already (here, or before a restart)."""
        if self.floor is None:
            newest = await session.scalar(
                select(func.max(ProcessedUpdate.update_id)).where(
                    ProcessedUpdate.processed_at >= now - KEEP
                )
            )
            self.floor = int(newest or 0)
        known = self.known(update_id)
        return known if known is not None else await was_processed(session, update_id)

    def handled(self, update_id: int) -> None:
        """Remember an id recorded in the database by this process."""
        assert self.floor is not None, "seen() first"
        if update_id <= self.floor:
            return
        self.recent.add(update_id)
        if len(self.recent) > self.limit:
            self.floor = max(self.recent)
            self.recent.clear()
