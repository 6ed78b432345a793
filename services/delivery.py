"""The database side of delivery: claim outbox rows, record what Telegram did, route around failures.

A row is sent by whoever claims it (`pending` -> `sending`, with `FOR UPDATE SKIP LOCKED` on
PostgreSQL so workers never wait for each other or take the same row). A chat's rows go out in
id order: only the oldest active row of a chat is ever due. Each sent part is committed before
the next one is sent, so a crash repeats at most the one message that was in flight.

Every transition of a row's OutboxStatus is made here; they are drawn in docs/outbox-row.mmd.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.org import Department
from models.outbox import ErrorKind, OutboxKind, OutboxMessage, OutboxStatus
from models.people import Person
from services.outbox import Button, Outgoing, enqueue_to_coordinators, enqueue_to_department

ACTIVE = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# A person who has not yet opened their private chat with the bot cannot be written to: their
# rows wait as `held` (keeping their place at the head of that chat) until they send /start.
QUEUED = (*ACTIVE, OutboxStatus.HELD)
EDIT_KINDS = (OutboxKind.EDIT_TEXT, OutboxKind.EDIT_MARKUP)
# Error kinds that say nothing about the message itself: Telegram or the network was unwell.
TRANSIENT_KINDS = (
    ErrorKind.TIMEOUT,
    ErrorKind.NETWORK,
    ErrorKind.SERVER_ERROR,
    ErrorKind.RATE_LIMITED,
    ErrorKind.UNEXPECTED,
)


@dataclass(frozen=True)
class Head:
    """The oldest active row of one chat, due now."""

    id: int
    chat_id: int


async def due_heads(session: AsyncSession, now: datetime, limit: int = 200) -> list[Head]:
    """Rows that may be sent now: due, pending, and the oldest queued row of their chat.

    A held row stays its chat's oldest, so nothing overtakes it: the chat waits, others go on.
    """
    oldest = (
        select(func.min(OutboxMessage.id))
        .where(OutboxMessage.status.in_(QUEUED))
        .group_by(OutboxMessage.chat_id)
    )
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.chat_id)
        .where(
            OutboxMessage.id.in_(oldest),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.not_before <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [Head(id=row_id, chat_id=chat_id) for row_id, chat_id in rows]


async def claim(
    session: AsyncSession, row_id: int, *, worker: str, now: datetime
) -> OutboxMessage | None:
    """Take a due row for this worker; None if another worker holds or took it."""
    return await claim_first(session, [row_id], worker=worker, now=now)


async def claim_first(
    session: AsyncSession, row_ids: Sequence[int], *, worker: str, now: datetime
) -> OutboxMessage | None:
    """Take the oldest of these rows still due (heads, in practice), skipping any another
    worker holds or took: one statement however many workers walk the same list."""
    row = await session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(row_ids)),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.not_before <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if row is None:
        return None
    row.status = OutboxStatus.SENDING
    row.claimed_by = worker
    row.claimed_at = now
    row.attempts += 1
    await session.flush()
    return row


async def reclaim(
    session: AsyncSession, *, now: datetime, older_than: timedelta | None = None
) -> int:
    """Give rows left `sending` by a dead worker back to the queue (all of them when no age)."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENDING)
    if older_than is not None:
        stmt = stmt.where(OutboxMessage.claimed_at < now - older_than)
    result = await session.execute(
        stmt.values(status=OutboxStatus.PENDING, claimed_by=None).execution_options(
            synchronize_session=False
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _mine(session: AsyncSession, row_id: int, worker: str) -> OutboxMessage | None:
    return await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_by == worker,
        )
    )


async def record_part(
    session: AsyncSession,
    row_id: int,
    *,
    worker: str,
    message_ids: list[int],
    parts_sent: int,
    done: bool,
    now: datetime,
) -> bool:
    """One part went out: remember its message ids; the last part makes the row `sent`."""
    row = await _mine(session, row_id, worker)
    if row is None:
        return False
    row.message_ids = [*(row.message_ids or []), *message_ids]
    row.parts_sent = parts_sent
    if done:
        row.status = OutboxStatus.SENT
        row.sent_at = now  # claimed_by stays: which process sent it
    return True


async def record_retry(
    session: AsyncSession,
    row_id: int,
    *,
    worker: str,
    not_before: datetime,
    kind: ErrorKind,
    error: str,
) -> bool:
    """A transient failure: back to the queue, not before `not_before`."""
    row = await _mine(session, row_id, worker)
    if row is None:
        return False
    row.status = OutboxStatus.PENDING
    row.claimed_by = None
    row.not_before = not_before
    row.last_error_kind = kind
    row.last_error = error[:500]
    return True


async def record_dead(
    session: AsyncSession, row_id: int, *, worker: str | None, kind: ErrorKind, error: str
) -> bool:
    """A permanent failure: never retried."""
    row = await session.get(OutboxMessage, row_id)
    if row is None or (worker is not None and row.claimed_by != worker):
        return False
    row.status = OutboxStatus.DEAD
    row.claimed_by = None
    row.last_error_kind = kind
    row.last_error = error[:500]
    return True


def never_started(chat_id: int, description: str) -> bool:
    """Telegram's answer for a person who has not yet opened the private chat with the bot.

    403 "bot can't initiate conversation with a user" (the bot has seen the person, e.g. in a
    group) or 400 "chat not found" (it never has) — for a private chat (positive id) both mean
    "not yet", not "never": the person may send /start at any time.
    """
    lowered = description.lower()
    return chat_id > 0 and ("can't initiate conversation" in lowered or "chat not found" in lowered)


async def hold_until_started(
    session: AsyncSession, row_id: int, *, worker: str, description: str
) -> bool:
    """Park a row until its person sends /start (release_held); the rows behind it wait too."""
    row = await _mine(session, row_id, worker)
    if row is None:
        return False
    row.status = OutboxStatus.HELD
    row.claimed_by = None
    row.last_error_kind = ErrorKind.NOT_STARTED
    row.last_error = description[:500]
    return True


async def release_held(session: AsyncSession, *, chat_id: int, now: datetime) -> int:
    """The person opened the chat: what waited for it is due now, in id order.

    Returns how many messages had been waiting for this (the held row and those behind it),
    0 when nothing was held.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.HELD)
        .values(status=OutboxStatus.PENDING, not_before=now, last_error_kind=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return 0
    waiting = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status.in_(ACTIVE))
    )
    return int(waiting or 0)


async def release_backoff(session: AsyncSession, now: datetime) -> int:
    """Telegram answers again: rows waiting out a transient error's backoff are due now."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.not_before > now,
            OutboxMessage.last_error_kind.in_(
                [k for k in TRANSIENT_KINDS if k != ErrorKind.RATE_LIMITED]
            ),
        )
        .values(not_before=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- describing chats (for notices and /outbox) -------------------------------------------------


async def active_binding(session: AsyncSession, chat_id: int) -> BoundChat | None:
    """The department binding of a chat (any topic), if it is bound."""
    return await session.scalar(
        select(BoundChat)
        .where(BoundChat.chat_id == chat_id, BoundChat.unbound_at.is_(None))
        .order_by(BoundChat.id.desc())
        .limit(1)
    )


async def chat_label(session: AsyncSession, chat_id: int) -> str:
    """A readable name for a chat: the department's group, the person, or the id (HTML-safe)."""
    binding = await active_binding(session, chat_id)
    if binding is not None:
        dept = await session.get(Department, binding.department_id)
        title = f"“{binding.title}”" if binding.title else ""
        return escape(f"{dept.name if dept else '部门'}工作群{title}")
    name = await session.scalar(
        select(Person.display_name).where(Person.telegram_user_id == chat_id)
    )
    if name is not None:
        return escape(f"{name}（私聊）")
    return f"会话 {chat_id}"


# -- failures that change where messages go ------------------------------------------------------


def outgoing_of(row: OutboxMessage) -> Outgoing:
    """The logical message of a row, to send it somewhere else."""
    return Outgoing(
        text=row.text,
        kind=row.kind,
        parse_mode=row.parse_mode,
        buttons=[[Button.from_json(b) for b in line] for line in row.buttons or []],
        media=list(row.media or []),
        location=(row.location["latitude"], row.location["longitude"]) if row.location else None,
        document=row.document,
        document_name=row.document_name,
    )


@dataclass(frozen=True)
class Unreachable:
    """What marking a chat unreachable did."""

    rerouted: int
    dropped: int
    newly_marked: bool


def unreachable_reason_text(description: str) -> str:
    """Telegram's 403/400 wording, in the office's words."""
    lowered = description.lower()
    if "kicked" in lowered or "not a member" in lowered:
        return "机器人已被移出该群"
    if "blocked by the user" in lowered:
        return "对方已屏蔽机器人"
    if "can't initiate" in lowered or "chat not found" in lowered:
        return "会话不存在或对方尚未与机器人对话"
    if "deactivated" in lowered:
        return "对方账号已注销"
    return "Telegram 拒绝发送"


async def chat_unreachable(
    session: AsyncSession, *, chat_id: int, description: str, now: datetime
) -> Unreachable:
    """Forbidden (or the chat is gone): stop sending there, re-route, tell the coordinators once.

    A department's pending messages go to the coordinators and the leading group (as will its
    future ones: enqueue_to_department skips unreachable groups) until a group is bound again.
    Rows without a department (copies of coordinator notices, edits) are dropped as dead.
    """
    reason = unreachable_reason_text(description)
    bindings = list(
        await session.scalars(
            select(BoundChat).where(BoundChat.chat_id == chat_id, BoundChat.unbound_at.is_(None))
        )
    )
    newly_marked = False
    for binding in bindings:
        if binding.unreachable_at is None:
            binding.unreachable_at = now
            binding.unreachable_reason = f"{reason}：{description}"[:255]
            newly_marked = True
    await session.flush()
    # The notice first: a coordinator reads why before the forwarded messages that follow it.
    await _notify_unreachable(session, chat_id, bindings, reason, now)
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status.in_(ACTIVE))
            .order_by(OutboxMessage.id)
        )
    )
    rerouted = dropped = 0
    for row in rows:
        row.claimed_by = None
        row.last_error_kind = ErrorKind.FORBIDDEN
        row.last_error = description[:500]
        department_id = row.department_id
        if department_id is None or row.kind in EDIT_KINDS:
            row.status = OutboxStatus.DEAD
            dropped += 1
            continue
        await enqueue_to_department(
            session,
            outgoing_of(row),
            department_id=department_id,
            now=now,
            dedupe_key=f"reroute:{row.id}",
        )
        row.status = OutboxStatus.REROUTED
        rerouted += 1
    return Unreachable(rerouted=rerouted, dropped=dropped, newly_marked=newly_marked)


async def _notify_unreachable(
    session: AsyncSession,
    chat_id: int,
    bindings: list[BoundChat],
    reason: str,
    now: datetime,
) -> None:
    if bindings:
        for binding in bindings:
            dept = await session.get(Department, binding.department_id)
            name = escape(dept.name if dept else "部门")
            key = escape(dept.key if dept else "部门代码")
            title = f"“{escape(binding.title)}”" if binding.title else ""
            since = binding.unreachable_at or now
            text = (
                f"【送达异常】{name}工作群{title}已无法送达（{reason}）。\n"
                f"在重新绑定前，发给{name}的消息将转送协调员和领导小组。\n"
                f"请将机器人重新拉入部门群，并由协调员在群内发送 /bind {key}。"
            )
            await enqueue_to_coordinators(
                session,
                Outgoing(text=text),
                now=now,
                dedupe_key=f"delivery:unreachable:{binding.id}:{since:%Y%m%d%H%M%S}",
            )
        return
    label = await chat_label(session, chat_id)
    # Only what was waiting is dropped; the next message is tried again, so say who can fix it.
    if chat_id < 0:
        if reason.startswith("会话不存在"):
            reason = "该群不存在或机器人已不在群中"
        text = (
            f"【送达异常】发往{label}的消息未能送达（{reason}），待发消息已取消。\n"
            "如该群仍需接收消息，请将机器人重新拉入该群。"
        )
    else:
        text = (
            f"【送达异常】发往{label}的消息未能送达（{reason}），待发消息已取消。\n"
            "请联系本人在 Telegram 中打开与机器人的对话并发送 /start，此后的消息即可送达。"
        )
    # Once a day at most: a person who blocks the bot again next month is reported again,
    # and a burst of failed messages makes one notice, not one per message.
    await enqueue_to_coordinators(
        session,
        Outgoing(text=text),
        now=now,
        dedupe_key=f"delivery:blocked:{chat_id}:{now:%Y%m%d}",
    )


async def chat_migrated(
    session: AsyncSession, *, row_id: int, old_chat_id: int, new_chat_id: int, now: datetime
) -> bool:
    """The group became a supergroup: move its binding and its queue; resend the row once.

    Returns False when this row had already been moved once (it is then dead).
    """
    await session.execute(
        update(BoundChat)
        .where(BoundChat.chat_id == old_chat_id, BoundChat.unbound_at.is_(None))
        .values(chat_id=new_chat_id, chat_type="supergroup")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old_chat_id, OutboxMessage.status.in_(ACTIVE))
        .values(chat_id=new_chat_id)
        .execution_options(synchronize_session=False)
    )
    row = await session.get(OutboxMessage, row_id, populate_existing=True)
    if row is None:
        return False
    description = f"group {old_chat_id} migrated to supergroup {new_chat_id}"
    if row.last_error_kind == ErrorKind.CHAT_MIGRATED:
        row.status = OutboxStatus.DEAD
        row.claimed_by = None
        row.last_error = f"migrated twice: {description}"
        return False
    row.status = OutboxStatus.PENDING
    row.claimed_by = None
    row.not_before = now
    row.last_error_kind = ErrorKind.CHAT_MIGRATED
    row.last_error = description
    return True


def error_kind_key(description: str) -> str:
    """A stable name for a kind of error ("can't parse entities", "message is too long")."""
    text = re.sub(r"^(bad request|forbidden):\s*", "", description.strip(), flags=re.I)
    text = text.split(":", 1)[0]
    text = re.sub(r"\d+", "N", text).strip().lower() or "unknown"
    return text[:60]


async def notify_error_kind(
    session: AsyncSession, *, chat_id: int, description: str, now: datetime
) -> bool:
    """Tell the coordinators about a kind of permanent error, once per kind ever."""
    key = error_kind_key(description)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    label = await chat_label(session, chat_id)
    text = (
        f"【送达异常】发往{label}的一条消息无法发送，已停止重试。\n"
        f"Telegram 答复：{escape(description[:300])}\n"
        "同类错误今后不再逐条提醒；可发送 /outbox 查看发送队列和失败记录。"
    )
    ids = await enqueue_to_coordinators(
        session, Outgoing(text=text), now=now, dedupe_key=f"delivery:error:{digest}"
    )
    return bool(ids)


async def delivery_targets(
    session: AsyncSession, row: OutboxMessage
) -> tuple[int | None, OutboxMessage | None]:
    """What a row refers to, when it can be used: the Telegram message id it replies to (the
    first message of its reply_to row, in the same chat), and the sent row of the same chat
    whose last message it edits (edit kinds only)."""
    reply_to: int | None = None
    if row.reply_to_outbox_id is not None:
        replied = await session.get(OutboxMessage, row.reply_to_outbox_id)
        if replied is not None and replied.chat_id == row.chat_id and replied.message_ids:
            reply_to = replied.message_ids[0]
    edited: OutboxMessage | None = None
    if row.kind in EDIT_KINDS and row.target_outbox_id is not None:
        target = await session.get(OutboxMessage, row.target_outbox_id)
        if (
            target is not None
            and target.status == OutboxStatus.SENT
            and target.chat_id == row.chat_id
            and target.message_ids
        ):
            edited = target
    return reply_to, edited
