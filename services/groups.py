"""Binding Telegram groups (or forum topics) to departments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.dto import BindingInfo, DepartmentInfo, PersonInfo
from models.org import Department
from services.errors import Refusal
from services.people import department_hint, find_department


def _info(chat: BoundChat, dept: Department) -> BindingInfo:
    return BindingInfo(
        department=DepartmentInfo.model_validate(dept),
        chat_id=chat.chat_id,
        thread_id=chat.thread_id,
        title=chat.title,
        bound_at=chat.bound_at,
        unreachable_at=chat.unreachable_at,
        unreachable_reason=chat.unreachable_reason,
    )


async def bind_group(
    session: AsyncSession,
    *,
    actor: PersonInfo,
    department_text: str,
    chat_id: int,
    thread_id: int | None,
    chat_type: str,
    title: str | None,
    now: datetime,
) -> tuple[BindingInfo, BindingInfo | None]:
    """Make this chat (or topic) the department's group; returns the new and the replaced binding."""
    dept_info = await find_department(session, department_text)
    if dept_info is None:
        hint = await department_hint(session, department_text)
        raise Refusal(
            f"未找到部门“{department_text[:30]}”。{hint}请使用部门代码或简称，可用 /groups 查看。"
        )
    here = await _active_for_chat(session, chat_id, thread_id)
    if here is not None and here.department_id != dept_info.id:
        other = await session.get(Department, here.department_id)
        raise Refusal(
            f"本群已绑定为{other.name if other else '其他部门'}的工作群。"
            "如需更改，请先发送 /unbind 解除绑定。"
        )
    previous = await session.scalar(
        select(BoundChat).where(
            BoundChat.department_id == dept_info.id, BoundChat.unbound_at.is_(None)
        )
    )
    dept = await session.get(Department, dept_info.id)
    assert dept is not None
    replaced: BindingInfo | None = None
    if previous is not None:
        if previous.chat_id == chat_id and previous.thread_id == thread_id:
            previous.unreachable_at = None
            previous.unreachable_reason = None
            previous.title = title
            return _info(previous, dept), None
        previous.unbound_at = now
        replaced = _info(previous, dept)
    chat = BoundChat(
        department_id=dept.id,
        chat_id=chat_id,
        thread_id=thread_id,
        chat_type=chat_type,
        title=title,
        bound_by=actor.id,
        bound_at=now,
    )
    session.add(chat)
    await session.flush()
    return _info(chat, dept), replaced


async def unbind_group(
    session: AsyncSession, *, chat_id: int, thread_id: int | None, now: datetime
) -> DepartmentInfo:
    here = await _active_for_chat(session, chat_id, thread_id)
    if here is None:
        raise Refusal("本群尚未绑定任何部门，无需解除。")
    here.unbound_at = now
    dept = await session.get(Department, here.department_id)
    assert dept is not None
    return DepartmentInfo.model_validate(dept)


async def binding_for_chat(
    session: AsyncSession, chat_id: int, thread_id: int | None
) -> BindingInfo | None:
    """Which department this group (or topic) belongs to; a topic falls back to its group."""
    chat = await _active_for_chat(session, chat_id, thread_id)
    if chat is None and thread_id is not None:
        chat = await _active_for_chat(session, chat_id, None)
    if chat is None:
        return None
    dept = await session.get(Department, chat.department_id)
    assert dept is not None
    return _info(chat, dept)


async def list_bindings(
    session: AsyncSession,
) -> tuple[list[BindingInfo], list[DepartmentInfo]]:
    """Active bindings, and the active departments that still have no group."""
    rows = (
        await session.execute(
            select(BoundChat, Department)
            .join(Department, Department.id == BoundChat.department_id)
            .where(BoundChat.unbound_at.is_(None))
            .order_by(Department.id)
        )
    ).all()
    bound = [_info(chat, dept) for chat, dept in rows]
    bound_ids = {b.department.id for b in bound}
    depts = await session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    )
    missing = [DepartmentInfo.model_validate(d) for d in depts if d.id not in bound_ids]
    return bound, missing


async def _active_for_chat(
    session: AsyncSession, chat_id: int, thread_id: int | None
) -> BoundChat | None:
    stmt = select(BoundChat).where(BoundChat.chat_id == chat_id, BoundChat.unbound_at.is_(None))
    stmt = stmt.where(
        BoundChat.thread_id.is_(None) if thread_id is None else BoundChat.thread_id == thread_id
    )
    return await session.scalar(stmt.limit(1))
