"""Per-person conversation state in the database (so a restart resumes where it was).

A person keeps one draft per kind of conversation in each chat (a whistle, a 处置 note, a
report form...). Exactly one of them is *active*: the one the person's next free message
goes to. Saving a draft makes it the active one and parks the others; nothing is deleted
except by `clear_dialog` for that kind, so starting a second conversation never throws the
first one's answers away (handlers/router.py asks the person first when it holds any).

Redelivery: `last_message_id` is the newest of the person's messages whose answer is in the
draft, written in the same transaction as the answer (`set_dialog(..., message_id=)` or
`note_message`). Telegram numbers the messages of a chat in increasing order, so a message
at or below it was already applied: `already_applied` lets the router ignore it. This holds
even in the window services/updates.py cannot cover (the answer committed, the process died
before the update was recorded as handled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.dialogs import DialogState


class Dialog(BaseModel):
    """A person's current step in one conversation."""

    model_config = ConfigDict(from_attributes=True)

    user_id: int
    chat_id: int
    kind: str
    step: str
    data: dict[str, Any]
    active: bool = True
    last_message_id: int | None = None
    started_at: datetime
    updated_at: datetime

    def already_applied(self, message_id: int) -> bool:
        """Whether this message (or a later one) is already in the draft: a redelivery."""
        return self.last_message_id is not None and message_id <= self.last_message_id


async def get_dialog(session: AsyncSession, user_id: int, chat_id: int) -> Dialog | None:
    """The active conversation of a person in a chat."""
    row = await session.scalar(
        select(DialogState).where(
            DialogState.user_id == user_id,
            DialogState.chat_id == chat_id,
            DialogState.active.is_(True),
        )
    )
    return Dialog.model_validate(row) if row is not None else None


async def get_draft(session: AsyncSession, user_id: int, chat_id: int, kind: str) -> Dialog | None:
    """The person's conversation of this kind, active or parked."""
    row = await session.get(DialogState, (user_id, chat_id, kind))
    return Dialog.model_validate(row) if row is not None else None


async def parked_dialogs(session: AsyncSession, user_id: int, chat_id: int) -> list[Dialog]:
    """The person's conversations in this chat that wait behind another (oldest first)."""
    rows = await session.scalars(
        select(DialogState)
        .where(
            DialogState.user_id == user_id,
            DialogState.chat_id == chat_id,
            DialogState.active.is_(False),
        )
        .order_by(DialogState.started_at, DialogState.kind)
    )
    return [Dialog.model_validate(r) for r in rows]


async def _park_others(session: AsyncSession, user_id: int, chat_id: int, kind: str) -> None:
    await session.execute(
        update(DialogState)
        .where(
            DialogState.user_id == user_id,
            DialogState.chat_id == chat_id,
            DialogState.kind != kind,
            DialogState.active.is_(True),
        )
        .values(active=False)
    )


async def set_dialog(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    kind: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
    message_id: int | None = None,
    active: bool = True,
) -> Dialog:
    """Save a conversation's step and draft and make it the active one (others are parked).

    `message_id`: the message whose answer this save holds (kept when None, e.g. a button).
    `active=False` saves it parked, leaving the active conversation as it is.
    """
    if active:
        await _park_others(session, user_id, chat_id, kind)
    row = await session.get(DialogState, (user_id, chat_id, kind))
    if row is None:
        row = DialogState(
            user_id=user_id,
            chat_id=chat_id,
            kind=kind,
            started_at=now,
            step=step,
            data={},
            active=active,
        )
        session.add(row)
    row.step = step
    row.data = dict(data)
    row.active = active
    row.updated_at = now
    if message_id is not None:
        row.last_message_id = max(message_id, row.last_message_id or 0)
    await session.flush()
    return Dialog.model_validate(row)


async def activate(
    session: AsyncSession, user_id: int, chat_id: int, kind: str, now: datetime
) -> Dialog | None:
    """Make a waiting conversation the active one again (None if it no longer exists)."""
    row = await session.get(DialogState, (user_id, chat_id, kind))
    if row is None:
        return None
    await _park_others(session, user_id, chat_id, kind)
    row.active = True
    row.updated_at = now
    await session.flush()
    return Dialog.model_validate(row)


async def note_message(
    session: AsyncSession, user_id: int, chat_id: int, kind: str, message_id: int
) -> None:
    """Record that this message's answer is saved (call in the answer's own transaction)."""
    await session.execute(
        update(DialogState)
        .where(
            DialogState.user_id == user_id,
            DialogState.chat_id == chat_id,
            DialogState.kind == kind,
            or_(
                DialogState.last_message_id.is_(None),
                DialogState.last_message_id < message_id,
            ),
        )
        .values(last_message_id=message_id)
    )


async def clear_dialog(session: AsyncSession, user_id: int, chat_id: int, kind: str) -> None:
    """End one kind of conversation (the others, parked or active, stay)."""
    await session.execute(
        delete(DialogState).where(
            DialogState.user_id == user_id,
            DialogState.chat_id == chat_id,
            DialogState.kind == kind,
        )
    )


async def dialogs_of_kind(session: AsyncSession, kind: str) -> list[Dialog]:
    rows = await session.scalars(select(DialogState).where(DialogState.kind == kind))
    return [Dialog.model_validate(r) for r in rows]
