"""The occurrence engine: something is due for someone at a moment a rule gives; it goes out
exactly once, and one found late is caught up within its grace.

A user of the engine (a `Source`) lists the moments that have come (`Due`), each with a unique
key, a group and the last moment it may still go out. The engine drops nothing and repeats
nothing: per group it applies the one catch-up policy (`decide`), records every decision under
its key (insert-or-ignore, so a racing tick records nothing twice) and lets the source send
only what it recorded itself. All of it in the caller's transaction: the records and the
outbox rows commit together.

The policy, for the moments of one group that have come (fire_at <= now):
| moment                                   | recorded as | sent |
|------------------------------------------|-------------|------|
| the latest one still within its grace    | sent        | yes  |
| an earlier one, within its grace         | skipped     | no   |
| one past its grace                       | missed      | no   |
| any, when the occurrence is settled      | skipped     | no   |
| any already recorded (an earlier tick)   | —           | no   |
So after downtime a group gets one message (the latest), never a burst; a moment past its grace
is missed, never sent late (the source may list it to the coordinators).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models.reminders import SendStatus

T = TypeVar("T")  # what the source needs to record and send one moment
S = TypeVar("S")  # the source's occurrence, opened once per group (a row, or nothing)
R = TypeVar("R")  # the source's record of one decision (a row)


@dataclass(frozen=True)
class Due(Generic[T]):
    """One moment at which something is due for someone."""

    key: str  # unique: the source's ledger holds each key at most once
    group: Hashable  # moments of one occurrence (e.g. its lead times): one of them goes out
    fire_at: datetime
    grace_until: datetime  # the last moment it may still go out (inclusive)
    item: T


@dataclass(frozen=True)
class Decision(Generic[T]):
    """What the policy made of one moment."""

    due: Due[T]
    status: SendStatus


@dataclass
class Slot(Generic[S]):
    """A group's occurrence as the source opened it, and whether it is settled (e.g. a meeting
    recorded as held: nothing of it goes out any more)."""

    occurrence: S
    settled: bool = False


def decide(
    group: Sequence[Due[T]], recorded: Set[str], now: datetime, *, settled: bool = False
) -> list[Decision[T]]:
    """The catch-up policy for one group (pure): a decision for every moment not yet recorded."""
    come = sorted((d for d in group if d.fire_at <= now), key=lambda d: d.fire_at)
    in_grace = [d for d in come if now <= d.grace_until]
    chosen = in_grace[-1] if in_grace and not settled else None
    decisions = []
    for due in come:
        if due.key in recorded:
            continue
        if due is chosen:
            status = SendStatus.SENT
        elif now > due.grace_until and not settled:
            status = SendStatus.MISSED
        else:
            status = SendStatus.SKIPPED
        decisions.append(Decision(due, status))
    return decisions


class Source(ABC, Generic[T, S, R]):
    """One kind of due thing: what has come, where it is recorded, and what goes out.

    Subclasses implement `due`, `recorded`, `open`, `record` and `send`; `finish` runs once
    after every group (e.g. one message listing what was missed).
    """

    @abstractmethod
    async def due(self, session: AsyncSession, now: datetime) -> Sequence[Due[T]]:
        """The moments that have come and may still matter, in the order to handle them."""

    @abstractmethod
    async def recorded(self, session: AsyncSession, keys: Sequence[str]) -> set[str]:
        """Which of these keys the ledger already holds."""

    @abstractmethod
    async def open(self, session: AsyncSession, group: Sequence[Due[T]], now: datetime) -> Slot[S]:
        """The occurrence the group belongs to (created if needed)."""

    @abstractmethod
    async def record(
        self, session: AsyncSession, slot: Slot[S], decision: Decision[T], now: datetime
    ) -> R | None:
        """Write the decision under its key; None when the key was there already (a race)."""

    @abstractmethod
    async def send(
        self,
        session: AsyncSession,
        slot: Slot[S],
        decision: Decision[T],
        record: R,
        now: datetime,
    ) -> None:
        """Write the outgoing message(s) of a `sent` decision to the outbox."""

    async def finish(
        self, session: AsyncSession, decisions: Sequence[Decision[T]], now: datetime
    ) -> None:
        """After every group: what this round recorded (nothing to do by default)."""


async def run(session: AsyncSession, source: Source[T, S, R], now: datetime) -> list[Decision[T]]:
    """One round of a source: decide, record and send each group once; the decisions recorded."""
    dues = list(await source.due(session, now))
    recorded = await source.recorded(session, [d.key for d in dues]) if dues else set()
    groups: dict[Hashable, list[Due[T]]] = {}
    order: dict[Hashable, None] = {}  # groups with something new, by their first new moment
    for due in dues:
        groups.setdefault(due.group, []).append(due)
        if due.key not in recorded:
            order.setdefault(due.group)
    done: list[Decision[T]] = []
    for key in order:
        group = groups[key]
        slot = await source.open(session, group, now)
        for decision in decide(group, recorded, now, settled=slot.settled):
            record = await source.record(session, slot, decision, now)
            if record is None:
                continue  # another tick recorded it first, and sent it if it was to be sent
            if decision.status is SendStatus.SENT:
                await source.send(session, slot, decision, record, now)
            done.append(decision)
    await source.finish(session, done, now)
    return done
