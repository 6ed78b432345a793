"""Reading a case into its DTO (names resolved), and finding a case by its number."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.case_dto import CaseView, DeptLine
from models.cases import Case, CaseDepartment, CasePhoto, PhotoSource
from models.enums import ROLE_LABELS
from models.org import Area, Department
from models.people import Person
from services.errors import Refusal
from services.people import person_names

_NUMBER = re.compile(r"^\s*([A-Za-z]{1,6})-(\d{4})-(\d{1,6})\s*$")


async def area_label(session: AsyncSession, area_id: int) -> str:
    """The area with its parent, as people say it: 千山社区 · 梨花苑小区."""
    area = await session.get(Area, area_id)
    if area is None:
        return "未知区域"
    if area.parent_id is not None:
        parent = await session.get(Area, area.parent_id)
        if parent is not None:
            return f"{parent.name} · {area.name}"
    return area.name


async def load_view(session: AsyncSession, case_id: int) -> CaseView:
    """The case with its departments, names and whistle photos."""
    case = await session.get(Case, case_id)
    if case is None:
        raise Refusal("未找到该案件。")
    return await view_of(session, case)


async def view_of(session: AsyncSession, case: Case) -> CaseView:
    """Build the DTO of a loaded case row."""
    rows = (
        await session.execute(
            select(CaseDepartment, Department)
            .join(Department, Department.id == CaseDepartment.department_id)
            .where(CaseDepartment.case_id == case.id)
            .order_by(CaseDepartment.id)
        )
    ).tuples()
    pairs = list(rows)
    people = await person_names(
        session,
        [
            case.reporter_id,
            *(cd.acked_by for cd, _ in pairs),
            *(cd.resolved_by for cd, _ in pairs),
            *(cd.arrived_by for cd, _ in pairs),
        ],
    )
    reporter = await session.get(Person, case.reporter_id)
    unit = None
    if reporter is not None and reporter.department_id is not None:
        unit = await session.scalar(
            select(Department.name).where(Department.id == reporter.department_id)
        )
    photos = await session.scalars(
        select(CasePhoto.file_id)
        .where(CasePhoto.case_id == case.id, CasePhoto.source == PhotoSource.WHISTLE)
        .order_by(CasePhoto.id)
    )
    return CaseView(
        id=case.id,
        number=case.number,
        category_key=case.category_key,
        category_name=case.category_name,
        area_id=case.area_id,
        area_label=await area_label(session, case.area_id),
        address=case.address,
        latitude=case.latitude,
        longitude=case.longitude,
        description=case.description,
        urgent=case.urgent,
        reporter_id=case.reporter_id,
        reporter_name=people.get(case.reporter_id, "未知"),
        reporter_role=ROLE_LABELS[reporter.role] if reporter else "",
        reporter_unit=unit,
        reporter_chat_id=case.reporter_chat_id,
        status=case.status,
        created_at=case.created_at,
        dispatched_at=case.dispatched_at,
        verify_asked_at=case.verify_asked_at,
        verified_at=case.verified_at,
        closed_at=case.closed_at,
        close_reason=case.close_reason,
        reopen_count=case.reopen_count,
        departments=tuple(
            DeptLine(
                department_id=dept.id,
                key=dept.key,
                name=dept.name,
                status=cd.status,
                dispatched_at=cd.dispatched_at,
                ladder_started_at=cd.ladder_started_at,
                acked_at=cd.acked_at,
                acked_by=people.get(cd.acked_by) if cd.acked_by else None,
                acked_on_behalf=cd.acked_on_behalf,
                arrived_at=cd.arrived_at,
                arrived_by=people.get(cd.arrived_by) if cd.arrived_by else None,
                arrive_distance_m=cd.arrive_distance_m,
                arrive_due_at=cd.arrive_due_at,
                resolve_due_at=cd.resolve_due_at,
                resolved_at=cd.resolved_at,
                resolved_by=people.get(cd.resolved_by) if cd.resolved_by else None,
                note=cd.resolution_note,
                escalations=cd.escalations,
                has_card=cd.card_outbox_id is not None,
            )
            for cd, dept in pairs
        ),
        photos=tuple(photos),
    )


def normalize_number(text: str) -> str | None:
    """`qs-2026-42` → `QS-2026-0042`; None if it is not a case number."""
    match = _NUMBER.match(text)
    if not match:
        return None
    prefix, year, seq = match.groups()
    return f"{prefix.upper()}-{year}-{int(seq):04d}"


async def case_by_number(session: AsyncSession, text: str) -> Case:
    """The case a person typed; a Refusal that says how to write it otherwise."""
    number = normalize_number(text)
    if number is None:
        raise Refusal(f"“{text[:30]}”不是有效的案件编号，格式如 QS-2026-0042。")
    case = await session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise Refusal(f"未找到案件 {number}。")
    return case
