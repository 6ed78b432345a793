"""What the outbox holds, for the coordinators' /outbox: backlog, failures, unreachable chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.org import Department
from models.outbox import ErrorKind, OutboxMessage, OutboxStatus
from services.clock import ensure_utc
from services.delivery import QUEUED, chat_label


@dataclass(frozen=True)
class ChatBacklog:
    """Messages still waiting for one chat."""

    chat: str  # HTML-safe label
    waiting: int
    oldest_at: datetime
    next_try_at: datetime
    last_error_kind: ErrorKind | None
    last_error: str | None
    # The person has not opened the private chat yet: nothing goes until their /start.
    held: bool = False


@dataclass(frozen=True)
class FailedMessage:
    """A message that will not be sent (dead) or went elsewhere (rerouted)."""

    chat: str
    status: OutboxStatus
    kind: ErrorKind | None
    error: str | None
    at: datetime


@dataclass(frozen=True)
class UnreachableGroup:
    department: str
    department_key: str
    title: str | None
    since: datetime
    reason: str | None


@dataclass(frozen=True)
class OutboxReport:
    counts: dict[OutboxStatus, int]
    backlog: list[ChatBacklog]
    failed: list[FailedMessage]
    unreachable: list[UnreachableGroup]
    # Waiting rows of chats whose person has not opened the chat yet (held, and those behind).
    held: int = 0

    @property
    def waiting(self) -> int:
        return sum(self.counts.get(status, 0) for status in QUEUED)


async def outbox_report(
    session: AsyncSession, *, limit: int = 8, failed_limit: int = 50
) -> OutboxReport:
    """Counts by status, the chats with the most waiting, the latest failures, unreachable groups."""
    counts = {
        status: int(n)
        for status, n in await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
    waiting = (
        await session.execute(
            select(
                OutboxMessage.chat_id,
                func.count(),
                func.min(OutboxMessage.created_at),
                func.min(OutboxMessage.id),
            )
            .where(OutboxMessage.status.in_(QUEUED))
            .group_by(OutboxMessage.chat_id)
            .order_by(func.count().desc(), func.min(OutboxMessage.id))
            .limit(limit)
        )
    ).all()
    backlog = []
    for chat_id, n, oldest, head_id in waiting:
        head = await session.get(OutboxMessage, head_id)
        assert head is not None
        backlog.append(
            ChatBacklog(
                chat=await chat_label(session, chat_id),
                waiting=int(n),
                oldest_at=ensure_utc(oldest),
                next_try_at=head.not_before,
                last_error_kind=head.last_error_kind,
                last_error=head.last_error,
                held=head.status == OutboxStatus.HELD,
            )
        )
    dead_rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_((OutboxStatus.DEAD, OutboxStatus.REROUTED)))
        .order_by(OutboxMessage.id.desc())
        .limit(failed_limit)
    )
    failed = [
        FailedMessage(
            chat=await chat_label(session, row.chat_id),
            status=row.status,
            kind=row.last_error_kind,
            error=row.last_error,
            at=row.claimed_at or row.created_at,
        )
        for row in dead_rows
    ]
    unreachable = [
        UnreachableGroup(
            department=name,
            department_key=key,
            title=chat.title,
            since=since,
            reason=chat.unreachable_reason,
        )
        for chat, name, key, since in (
            await session.execute(
                select(BoundChat, Department.name, Department.key, BoundChat.unreachable_at)
                .join(Department, Department.id == BoundChat.department_id)
                .where(BoundChat.unbound_at.is_(None), BoundChat.unreachable_at.is_not(None))
                .order_by(BoundChat.unreachable_at)
            )
        ).all()
    ]
    held_chats = select(OutboxMessage.chat_id).where(OutboxMessage.status == OutboxStatus.HELD)
    held = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_(QUEUED), OutboxMessage.chat_id.in_(held_chats))
    )
    return OutboxReport(
        counts=counts, backlog=backlog, failed=failed, unreachable=unreachable, held=int(held or 0)
    )
