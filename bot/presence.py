"""This process in the `instances` table: a beat every few seconds, and the cleanup it allows.

Couriers also give back the outbox rows of processes that stopped beating (a SIGKILL, a lost
machine), so the others finish those chats within `timeout`, and forget idle send buckets.
Used on PostgreSQL only: SQLite is one process, whose rows are requeued at start.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from bot.sharedbudget import SharedBudget
from services.instances import beat, leave, reclaim_orphans
from services.outage import OutageLog
from services.runtime import Runtime

log = logging.getLogger("firegrid.presence")


@dataclass
class Presence:
    rt: Runtime
    name: str  # the courier's worker id: what `claimed_by` says in the outbox
    role: str
    timeout: timedelta = timedelta(seconds=15)
    courier: bool = True  # requeue dead processes' rows and prune the send buckets
    budget: SharedBudget | None = None
    outage: OutageLog = field(default_factory=lambda: OutageLog("instance heartbeat", log))
    _task: asyncio.Task[None] | None = None

    @property
    def every(self) -> float:
        """Five beats per timeout: a beat or two lost to a slow database is no death."""
        return self.timeout.total_seconds() / 5

    async def beat_once(self) -> int:
        """Beat; a courier also requeues dead processes' rows (returns how many)."""
        now = self.rt.now()
        async with self.rt.transaction() as session:
            await beat(session, name=self.name, role=self.role, now=now)
            requeued = (
                await reclaim_orphans(session, now=now, silent_for=self.timeout)
                if self.courier
                else 0
            )
        if requeued:
            log.warning("re-queued %d outbox row(s) of a process that stopped", requeued)
        if self.courier and self.budget is not None:
            await self.budget.prune()
        return requeued

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="firegrid-presence")

    async def _run(self) -> None:
        while True:
            try:
                await self.beat_once()
            except Exception as exc:
                self.outage.failed(exc, self.rt.now())
            else:
                self.outage.succeeded(self.rt.now())
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        """Stop beating and leave the table (the others need not wait for the row to age)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        try:
            async with self.rt.transaction() as session:
                await leave(session, self.name)
        except Exception as exc:  # the database is gone: the row ages out instead
            log.info("could not leave the instances table: %s", exc)
