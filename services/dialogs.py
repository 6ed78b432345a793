"""Per-person conversation state in the database (so a restart resumes where it was)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
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
    started_at: datetime
    updated_at: datetime


async def get_dialog(session: AsyncSession, user_id: int, chat_id: int) -> Dialog | None:
    row = await session.get(DialogState, (user_id, chat_id))
    return Dialog.model_validate(row) if row is not None else None


async def set_dialog(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    kind: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> Dialog:
    """Start or move a conversation (replaces whatever conversation the person was in)."""
    row = await session.get(DialogState, (user_id, chat_id))
    if row is None or row.kind != kind:
        if row is not None:
            await session.delete(row)
            await session.flush()
        row = DialogState(
            user_id=user_id, chat_id=chat_id, kind=kind, started_at=now, step=step, data={}
        )
        session.add(row)
    row.step = step
    row.data = dict(data)
    row.updated_at = now
    await session.flush()
    return Dialog.model_validate(row)


async def clear_dialog(session: AsyncSession, user_id: int, chat_id: int) -> None:
    await session.execute(
        delete(DialogState).where(DialogState.user_id == user_id, DialogState.chat_id == chat_id)
    )


async def dialogs_of_kind(session: AsyncSession, kind: str) -> list[Dialog]:
    rows = await session.scalars(select(DialogState).where(DialogState.kind == kind))
    return [Dialog.model_validate(r) for r in rows]
