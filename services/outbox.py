"""Writing outgoing messages into the outbox, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.enums import DepartmentKind, Role
from models.org import Department
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.people import Person
from services.sql import insert_ignore


@dataclass(frozen=True)
class Button:
    """An inline button: callback data (ids only, ≤ 64 bytes) or a URL.

    The one button of the services: outbox rows store it as JSON, the report form's screens
    put the form's own action in `data` (the handler wraps it in the REPORT codec), and
    handlers/buttons.py `keyboard` turns rows of them into a Telegram keyboard.
    """

    label: str
    data: str = ""
    url: str | None = None

    def as_json(self) -> dict[str, str]:
        if self.url is not None:
            return {"label": self.label, "url": self.url}
        if not self.data or len(self.data.encode()) > 64:
            raise ValueError(f"callback data must be 1..64 bytes: {self.data!r}")
        return {"label": self.label, "data": self.data}

    @classmethod
    def from_json(cls, stored: dict[str, str]) -> Button:
        """The button of an outbox row's JSON (what as_json wrote)."""
        return cls(stored["label"], data=stored.get("data", ""), url=stored.get("url"))


@dataclass
class Outgoing:
    """One logical message to send; kinds other than text fill media/location/document."""

    text: str | None = None
    kind: OutboxKind = OutboxKind.TEXT
    parse_mode: str | None = "HTML"
    buttons: list[list[Button]] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    location: tuple[float, float] | None = None
    document: bytes | None = None
    document_name: str | None = None
    reply_to_outbox_id: int | None = None
    target_outbox_id: int | None = None


async def enqueue(
    session: AsyncSession,
    message: Outgoing,
    *,
    chat_id: int,
    now: datetime,
    thread_id: int | None = None,
    department_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Add one outbox row; a second row with the same dedupe key is a no-op (returns None)."""
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "thread_id": thread_id,
        "department_id": department_id,
        "dedupe_key": dedupe_key,
        "kind": message.kind,
        "text": message.text,
        "parse_mode": message.parse_mode,
        "buttons": [[b.as_json() for b in row] for row in message.buttons] or None,
        "media": message.media or None,
        "location": (
            {"latitude": message.location[0], "longitude": message.location[1]}
            if message.location
            else None
        ),
        "document": message.document,
        "document_name": message.document_name,
        "reply_to_outbox_id": message.reply_to_outbox_id,
        "target_outbox_id": message.target_outbox_id,
        "status": OutboxStatus.PENDING,
        "not_before": not_before or now,
        "attempts": 0,
        "created_at": now,
    }
    return await insert_ignore(session, OutboxMessage, values, ["dedupe_key"])


async def department_chat(session: AsyncSession, department_id: int) -> BoundChat | None:
    """The department's current, reachable group binding, if any."""
    return await session.scalar(
        select(BoundChat)
        .where(
            BoundChat.department_id == department_id,
            BoundChat.unbound_at.is_(None),
            BoundChat.unreachable_at.is_(None),
        )
        .order_by(BoundChat.id.desc())
        .limit(1)
    )


async def _private_chats(session: AsyncSession, role: Role) -> list[int]:
    rows = await session.scalars(
        select(Person.telegram_user_id)
        .where(Person.role == role, Person.active.is_(True))
        .order_by(Person.id)
    )
    return list(rows)


async def coordinator_chat_ids(session: AsyncSession) -> list[int]:
    """Private chats of every active coordinator."""
    return await _private_chats(session, Role.COORDINATOR)


async def leader_chat_ids(session: AsyncSession) -> list[int]:
    """Private chats of every active member of the leading group (领导小组成员)."""
    return await _private_chats(session, Role.LEADER)


async def leading_group_chat(session: AsyncSession) -> BoundChat | None:
    """The leading group's bound group, if any."""
    dept_id = await session.scalar(
        select(Department.id).where(Department.kind == DepartmentKind.LEADING_GROUP).limit(1)
    )
    if dept_id is None:
        return None
    return await department_chat(session, dept_id)


async def enqueue_to_coordinators(
    session: AsyncSession,
    message: Outgoing,
    *,
    now: datetime,
    dedupe_key: str | None = None,
    include_leading_group: bool = False,
    not_before: datetime | None = None,
) -> list[int]:
    """Send to every coordinator's private chat, and if asked to the leading group.

    The leading group is its bound group; without a reachable one, each leader privately
    (never both, so a leader gets each message once).
    """
    ids: list[int] = []
    targets: list[tuple[int, int | None]] = [
        (cid, None) for cid in await coordinator_chat_ids(session)
    ]
    if include_leading_group:
        chat = await leading_group_chat(session)
        if chat is not None:
            targets.append((chat.chat_id, chat.thread_id))
        else:
            targets.extend((cid, None) for cid in await leader_chat_ids(session))
    for chat_id, thread_id in targets:
        key = f"{dedupe_key}:{chat_id}" if dedupe_key else None
        row_id = await enqueue(
            session,
            message,
            chat_id=chat_id,
            thread_id=thread_id,
            now=now,
            dedupe_key=key,
            not_before=not_before,
        )
        if row_id is not None:
            ids.append(row_id)
    return ids


async def enqueue_to_department(
    session: AsyncSession,
    message: Outgoing,
    *,
    department_id: int,
    now: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Send to the department's group; without a reachable group, to coordinators and leaders
    (the leading group's group, or each leader privately when it has none).

    Returns the row id of the message to the department's own group, or None when it had to be
    forwarded (or was a duplicate).
    """
    chat = await department_chat(session, department_id)
    if chat is not None:
        return await enqueue(
            session,
            message,
            chat_id=chat.chat_id,
            thread_id=chat.thread_id,
            department_id=department_id,
            now=now,
            dedupe_key=dedupe_key,
            not_before=not_before,
        )
    if message.kind in (OutboxKind.EDIT_TEXT, OutboxKind.EDIT_MARKUP):
        # An edit of a message that never reached the group cannot be forwarded meaningfully.
        return None
    dept = await session.get(Department, department_id)
    if dept is not None and dept.kind == DepartmentKind.COORDINATOR:
        # The office's own people are the coordinators: without a group, they get it directly.
        await enqueue_to_coordinators(
            session, message, now=now, dedupe_key=dedupe_key, not_before=not_before
        )
        return None
    name = dept.name if dept is not None else "该部门"
    forwarded = replace(
        message,
        text=f"【转送】{name}尚无可用的工作群，以下消息转送协调员和领导小组：\n\n{message.text or ''}",
    )
    await enqueue_to_coordinators(
        session,
        forwarded,
        now=now,
        dedupe_key=f"fwd:{dedupe_key}" if dedupe_key else None,
        include_leading_group=True,
        not_before=not_before,
    )
    return None
