"""Read-only questions: a case's timeline (/case), a reporter's cases (/mycases), a group's (/open)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.case_dto import CaseView, EventLine, OpenCaseLine
from models.cases import Case, CaseDepartment, CaseEvent, CaseStatus, DeptStatus
from models.dto import AreaInfo, DepartmentInfo, PersonInfo
from models.enums import DepartmentKind, Role
from models.org import Area, Department
from models.people import Person
from services.cases import cards
from services.cases.draft import WhistleDraft
from services.cases.env import CaseEnv
from services.cases.views import area_label, case_by_number, view_of
from services.errors import Refusal
from services.groups import binding_for_chat

MY_CASES_LIMIT = 20
OPEN_LIMIT = 40


def may_read(actor: PersonInfo, view: CaseView) -> bool:
    """Coordinators and leaders read every case; others their own or their department's."""
    if actor.role in (Role.COORDINATOR, Role.LEADER) or actor.id == view.reporter_id:
        return True
    return any(actor.belongs_to(d.department_id) for d in view.departments)


async def shown_in_group(
    session: AsyncSession, view: CaseView, *, chat_id: int, thread_id: int | None
) -> bool:
    """May the case's timeline (names, actions) be posted in this group for all to read?

    Only in the group of a department on the case, and in the coordinators' and the leading
    group's own groups (they oversee every case); never in another department's or an
    unbound group, where the entitled person gets it privately instead.
    """
    binding = await binding_for_chat(session, chat_id, thread_id)
    if binding is None:
        return False
    if binding.department.kind in (DepartmentKind.COORDINATOR, DepartmentKind.LEADING_GROUP):
        return True
    return any(d.department_id == binding.department.id for d in view.active_departments)


async def case_timeline(
    session: AsyncSession, *, actor: PersonInfo, number: str
) -> tuple[CaseView, list[EventLine]]:
    """The case and every event, oldest first."""
    case = await case_by_number(session, number)
    view = await view_of(session, case)
    if not may_read(actor, view):
        raise Refusal(f"您无权查看 {view.number}。如需查看，请联系协调员。")
    rows = (
        await session.execute(
            select(CaseEvent, Person.display_name, Department.name)
            .outerjoin(Person, Person.id == CaseEvent.actor_id)
            .outerjoin(Department, Department.id == CaseEvent.department_id)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.id)
        )
    ).tuples()
    events = [
        EventLine(
            kind=e.kind,
            at=e.at,
            actor=actor_name,
            department=dept_name,
            chat_id=e.chat_id,
            note=e.note,
        )
        for e, actor_name, dept_name in rows
    ]
    return view, events


async def _line(
    session: AsyncSession,
    c: Case,
    *,
    since: datetime,
    dept_status: DeptStatus | None = None,
    resolve_due_at: datetime | None = None,
) -> OpenCaseLine:
    if dept_status is None and c.status != CaseStatus.CLOSED:
        # the reporter's list: the earliest deadline of a department still at work
        resolve_due_at = await session.scalar(
            select(func.min(CaseDepartment.resolve_due_at)).where(
                CaseDepartment.case_id == c.id, CaseDepartment.status == DeptStatus.ACKED
            )
        )
    return OpenCaseLine(
        resolve_due_at=resolve_due_at,
        case_id=c.id,
        number=c.number,
        category_name=c.category_name,
        area_label=await area_label(session, c.area_id),
        urgent=c.urgent,
        status=c.status,
        dept_status=dept_status,
        created_at=c.created_at,
        since=since,
    )


async def my_cases(
    session: AsyncSession, *, actor: PersonInfo, limit: int = MY_CASES_LIMIT
) -> list[OpenCaseLine]:
    """The reporter's newest cases: open ones first, then the recently closed."""
    cases = list(
        await session.scalars(
            select(Case).where(Case.reporter_id == actor.id).order_by(Case.id.desc()).limit(limit)
        )
    )
    cases.sort(key=lambda c: (c.status == CaseStatus.CLOSED, -c.id))
    return [await _line(session, c, since=c.created_at) for c in cases]


async def open_for_department(
    session: AsyncSession, department_id: int, limit: int = OPEN_LIMIT
) -> list[OpenCaseLine]:
    """A department's open part in open cases, oldest first (age from its dispatch)."""
    rows = (
        await session.execute(
            select(CaseDepartment, Case)
            .join(Case, Case.id == CaseDepartment.case_id)
            .where(
                CaseDepartment.department_id == department_id,
                CaseDepartment.status.in_([DeptStatus.PENDING, DeptStatus.ACKED]),
                Case.status != CaseStatus.CLOSED,
            )
            .order_by(CaseDepartment.dispatched_at)
            .limit(limit)
        )
    ).tuples()
    return [
        await _line(
            session,
            c,
            since=cd.dispatched_at,
            dept_status=cd.status,
            resolve_due_at=cd.resolve_due_at if cd.status == DeptStatus.ACKED else None,
        )
        for cd, c in rows
    ]


async def open_for_chat(
    session: AsyncSession, *, chat_id: int, thread_id: int | None
) -> tuple[DepartmentInfo, list[OpenCaseLine]]:
    """/open in a department's group: that department's open cases."""
    binding = await binding_for_chat(session, chat_id, thread_id)
    if binding is None:
        raise Refusal("本群尚未绑定部门。请协调员在群内发送 /bind 部门代码。")
    return binding.department, await open_for_department(session, binding.department.id)


async def whistle_areas(session: AsyncSession, actor: PersonInfo) -> list[AreaInfo]:
    """The areas a person may whistle in: their own, or every active area if they have none."""
    if actor.areas:
        return list(actor.areas)
    rows = await session.scalars(select(Area).where(Area.active.is_(True)).order_by(Area.id))
    return [AreaInfo.model_validate(a) for a in rows]


async def draft_review(session: AsyncSession, env: CaseEnv, draft: WhistleDraft) -> str:
    """The review card shown before 提交."""
    category = env.org.category(draft.category_key or "")
    label = await area_label(session, draft.area_id) if draft.area_id is not None else "未选择"
    return cards.review_text(
        category.name if category else "未选择",
        label,
        draft.address,
        draft.latitude is not None,
        len(draft.photos),
        draft.description or "",
        bool(draft.urgent),
    )
