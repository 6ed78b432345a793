"""One-time invitations: a coordinator creates a code, a person redeems it with /start <code>."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import AreaInfo, DepartmentInfo, InviteInfo, PersonInfo
from models.enums import DepartmentKind, Role
from models.org import Area, AreaDepartment, Department
from models.people import Invitation, Person, PersonArea
from services.errors import Refusal
from services.people import department_hint, find_area, find_department, to_info

ROLE_WORDS: dict[str, Role] = {
    "coordinator": Role.COORDINATOR,
    "协调员": Role.COORDINATOR,
    "leader": Role.LEADER,
    "领导": Role.LEADER,
    "领导小组": Role.LEADER,
    "lead": Role.DEPT_LEAD,
    "负责人": Role.DEPT_LEAD,
    "member": Role.MEMBER,
    "成员": Role.MEMBER,
    "grid": Role.GRID_WORKER,
    "grid_worker": Role.GRID_WORKER,
    "网格员": Role.GRID_WORKER,
}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
INVITE_USAGE = (
    "用法：/invite 角色 [部门或区域]\n"
    "角色：协调员、领导、负责人、成员、网格员\n"
    "例如：/invite 成员 住建办　/invite 网格员 梨花苑小区"
)


async def create_invite(
    session: AsyncSession,
    *,
    actor: PersonInfo,
    role_word: str,
    target: str | None,
    now: datetime,
    ttl: timedelta,
) -> InviteInfo:
    """Create a one-time invitation for a role, with its department or area."""
    role = ROLE_WORDS.get(role_word.strip().lower()) or ROLE_WORDS.get(role_word.strip())
    if role is None:
        raise Refusal(f"未知角色“{role_word[:20]}”。\n{INVITE_USAGE}")
    dept: DepartmentInfo | None = None
    area: AreaInfo | None = None
    if role in (Role.COORDINATOR, Role.LEADER):
        kind = (
            DepartmentKind.COORDINATOR if role == Role.COORDINATOR else DepartmentKind.LEADING_GROUP
        )
        row = await session.scalar(select(Department).where(Department.kind == kind).limit(1))
        dept = DepartmentInfo.model_validate(row) if row else None
    elif role in (Role.DEPT_LEAD, Role.MEMBER):
        if not target:
            raise Refusal(f"请指明部门。\n{INVITE_USAGE}")
        dept = await find_department(session, target)
        if dept is None:
            hint = await department_hint(session, target)
            raise Refusal(
                f"未找到部门“{target[:30]}”。{hint}请使用部门代码或简称，可用 /groups 查看。"
            )
    else:
        if not target:
            raise Refusal(f"请指明网格员负责的区域（社区或小区）。\n{INVITE_USAGE}")
        area = await find_area(session, target)
        if area is None:
            raise Refusal(f"未找到区域“{target[:30]}”。请使用区域代码或名称。")
        dept = await _community_of_area(session, area.id)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    session.add(
        Invitation(
            code=code,
            role=role,
            department_id=dept.id if dept else None,
            area_id=area.id if area else None,
            created_by=actor.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return InviteInfo(code=code, role=role, department=dept, area=area, expires_at=now + ttl)


async def _community_of_area(session: AsyncSession, area_id: int) -> DepartmentInfo | None:
    """A grid worker belongs to the community responsible for their area (or its parent)."""
    current: int | None = area_id
    seen: set[int] = set()
    # Bounded by the number of areas even if rows loop (org-file checks refuse a cycle, but
    # an unbounded walk on bad rows once hung the whole bot).
    while current is not None and current not in seen:
        seen.add(current)
        row = await session.scalar(
            select(Department)
            .join(AreaDepartment, AreaDepartment.department_id == Department.id)
            .where(
                AreaDepartment.area_id == current,
                Department.kind == DepartmentKind.COMMUNITY,
            )
            .limit(1)
        )
        if row is not None:
            return DepartmentInfo.model_validate(row)
        current = await session.scalar(select(Area.parent_id).where(Area.id == current))
    return None


async def redeem_invite(
    session: AsyncSession,
    *,
    code: str,
    telegram_user_id: int,
    display_name: str,
    username: str | None,
    now: datetime,
) -> PersonInfo:
    """Register (or re-role) the person who opened an invitation link; each code works once."""
    invite = await session.scalar(
        select(Invitation).where(Invitation.code == code).with_for_update()
    )
    if invite is None:
        raise Refusal("邀请码无效。请向协调员重新索取邀请链接。")
    if invite.used_at is not None:
        raise Refusal("该邀请码已被使用，每个邀请码只能使用一次。请向协调员重新索取邀请链接。")
    if invite.expires_at <= now:
        raise Refusal("该邀请码已过期。请向协调员重新索取邀请链接。")
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if person is None:
        person = Person(telegram_user_id=telegram_user_id, joined_at=now, role=invite.role)
        session.add(person)
    person.display_name = display_name[:128]
    person.username = username
    person.role = invite.role
    person.department_id = invite.department_id
    person.active = True
    person.removed_at = None
    await session.flush()
    if invite.area_id is not None:
        exists = await session.scalar(
            select(PersonArea.id).where(
                PersonArea.person_id == person.id, PersonArea.area_id == invite.area_id
            )
        )
        if exists is None:
            session.add(PersonArea(person_id=person.id, area_id=invite.area_id))
    invite.used_at = now
    invite.used_by = person.id
    await session.flush()
    return await to_info(session, person)
