"""Report rows: one submission per department, form and month (created once, even when two
members race), who may fill it and for which month, and where it stands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import DepartmentInfo, PersonInfo
from models.enums import Role
from models.forms import FormSpec
from models.org import Department
from models.period import MonthPeriod
from models.reports import (
    BoardState,
    ReportEvent,
    ReportEventKind,
    ReportSubmission,
    SubmissionStatus,
)
from models.schedule import Occurrence
from services.buttons import REPORT, ReportAction
from services.errors import Refusal
from services.forms.flow import Draft
from services.outbox import Button as OutboxButton
from services.sql import insert_ignore


async def find_row(
    session: AsyncSession, department_id: int, form_key: str, period: str, *, lock: bool = False
) -> ReportSubmission | None:
    stmt = select(ReportSubmission).where(
        ReportSubmission.department_id == department_id,
        ReportSubmission.form_key == form_key,
        ReportSubmission.period == period,
    )
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_or_create(
    session: AsyncSession,
    *,
    department_id: int,
    form_key: str,
    period: str,
    person_id: int | None,
    now: datetime,
) -> tuple[ReportSubmission, bool]:
    """The department's row for the form and month; created once even if two members race."""
    row = await find_row(session, department_id, form_key, period, lock=True)
    if row is not None:
        return row, False
    values = {
        "department_id": department_id,
        "form_key": form_key,
        "period": period,
        "status": SubmissionStatus.DRAFT,
        "draft": Draft().model_dump(mode="json"),
        "answers": None,
        "version": 0,
        "created_at": now,
        "created_by": person_id,
        "updated_at": now,
        "updated_by": person_id,
        "late": False,
    }
    new_id = await insert_ignore(
        session, ReportSubmission, values, ["department_id", "form_key", "period"]
    )
    row = await find_row(session, department_id, form_key, period, lock=True)
    assert row is not None
    if new_id is not None:
        session.add(
            ReportEvent(
                submission_id=row.id, kind=ReportEventKind.STARTED, person_id=person_id, at=now
            )
        )
    return row, new_id is not None


def draft_of(row: ReportSubmission) -> Draft:
    return Draft.model_validate(row.draft or {})


def editable(row: ReportSubmission | None, occ: Occurrence, now: datetime) -> bool:
    return now < occ.due_at or (row is not None and row.unlocked_at is not None)


def state_of(row: ReportSubmission | None, occ: Occurrence, now: datetime) -> BoardState:
    if row is not None and row.status == SubmissionStatus.SUBMITTED:
        return BoardState.SUBMITTED_LATE if row.late else BoardState.SUBMITTED
    if now >= occ.due_at:
        return BoardState.LATE
    if row is not None and draft_of(row).answers:
        return BoardState.DRAFT
    return BoardState.MISSING


def may_fill(person: PersonInfo) -> bool:
    """Reports are filled by a department's members and 负责人 (a coordinator for the office);
    grid workers whistle and verify, they do not fill."""
    return person.role != Role.GRID_WORKER


def fillers_text(department: DepartmentInfo) -> str:
    """Who fills a department's reports (said to a grid worker who tries)."""
    return f"月报由{department.name}的成员或负责人填报；网格员负责吹哨上报和核查。"


def filler_department(person: PersonInfo, form: FormSpec) -> DepartmentInfo:
    """The department a person fills `form` for; Refusal if they may not fill it."""
    department = person.department
    if department is None:
        raise Refusal("您尚未归属任何部门，无需填报月度报表。")
    if not form.filled_by.includes(department.key, department.kind):
        raise Refusal(f"《{form.title}》不由{department.name}填报。")
    if not may_fill(person):
        raise Refusal(fillers_text(department))
    return department


def check_month(month: MonthPeriod, current: MonthPeriod) -> None:
    """Only this month and past ones (read-only unless unlocked) can be opened: a month that
    has not begun cannot be filled, whatever button or command names it."""
    if month > current:
        raise Refusal(
            f"{month.label}尚未开始，不能填报。可填写本月（{current.label}）的月报；"
            "往月的月报须由协调员解锁后补报。"
        )


def open_button(form: FormSpec, month: MonthPeriod) -> OutboxButton:
    """The button under a reminder that opens the form in the presser's private chat."""
    return OutboxButton("填写报表", data=REPORT.encode(ReportAction.OPEN, form.key, month))


async def departments_filling(session: AsyncSession, form: FormSpec) -> list[Department]:
    rows = await session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    )
    return [d for d in rows if form.filled_by.includes(d.key, d.kind)]
