"""Row builders for bulletin tests: cases with their departments and events, report submissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import DEFAULT_ORG
from models.cases import Case, CaseDepartment, CaseEvent, CaseStatus, DeptStatus, EventKind
from models.forms import FormsFile
from models.org import Area, Department
from models.orgfile import OrgFile
from models.people import Person
from models.reports import ReportSubmission, SubmissionStatus
from services.forms.config import load_org_forms
from services.orgconfig import load_org
from services.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


@dataclass
class Sources:
    """What compute_bulletin reads besides the database (the Runtime's fields)."""

    org: OrgFile
    forms: FormsFile
    tz: ZoneInfo = SH
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar.build)


def default_sources(org: OrgFile | None = None) -> Sources:
    org = org or load_org(DEFAULT_ORG)
    return Sources(org=org, forms=load_org_forms(org, Path(DEFAULT_ORG)))


async def ids(session: AsyncSession) -> tuple[dict[str, int], dict[str, int]]:
    """Department and area ids by key."""
    depts = {k: i for k, i in (await session.execute(select(Department.key, Department.id)))}
    areas = {k: i for k, i in (await session.execute(select(Area.key, Area.id)))}
    return depts, areas


async def person(
    session: AsyncSession, user_id: int, name: str, role: str, dept_id: int | None, joined: datetime
) -> int:
    row = Person(
        telegram_user_id=user_id,
        display_name=name,
        role=role,
        department_id=dept_id,
        active=True,
        joined_at=joined,
    )
    session.add(row)
    await session.flush()
    return row.id


@dataclass
class Part:
    """One department's part in a seeded case."""

    dept: str
    acked: datetime | None = None
    ack_due: datetime | None = None
    resolved: datetime | None = None
    first_acked: datetime | None = None
    escalated: tuple[datetime, ...] = ()
    ladder_round: int = 0
    ladder_started: datetime | None = None


async def add_case(
    session: AsyncSession,
    *,
    number: str,
    category: tuple[str, str],
    area_id: int,
    reporter_id: int,
    whistled: datetime,
    parts: list[Part],
    dept_ids: dict[str, int],
    urgent: bool = False,
    verified: datetime | None = None,
    closed: datetime | None = None,
    reopened: tuple[datetime, ...] = (),
    address: str = "",
    description: str = "隐患描述",
) -> int:
    year, seq = int(number.split("-")[1]), int(number.split("-")[2])
    row = Case(
        number=number,
        year=year,
        seq=seq,
        category_key=category[0],
        category_name=category[1],
        area_id=area_id,
        address=address,
        description=description,
        urgent=urgent,
        reporter_id=reporter_id,
        reporter_chat_id=reporter_id,
        status=CaseStatus.CLOSED if closed else CaseStatus.DISPATCHED,
        created_at=whistled,
        dispatched_at=whistled if parts else None,
        verified_at=verified,
        closed_at=closed,
        reopen_count=len(reopened),
        updated_at=closed or whistled,
    )
    session.add(row)
    await session.flush()
    events: list[tuple[EventKind, datetime, int | None]] = [(EventKind.WHISTLED, whistled, None)]
    for part in parts:
        dept_id = dept_ids[part.dept]
        status = (
            DeptStatus.RESOLVED
            if part.resolved
            else DeptStatus.ACKED
            if part.acked
            else DeptStatus.PENDING
        )
        session.add(
            CaseDepartment(
                case_id=row.id,
                department_id=dept_id,
                status=status,
                ladder_key="urgent" if urgent else "normal",
                ladder_round=part.ladder_round,
                ladder_started_at=part.ladder_started or whistled,
                step=len(part.escalated),
                escalations=len(part.escalated),
                dispatched_at=whistled,
                ack_due_at=part.ack_due,
                acked_at=part.acked,
                first_acked_at=part.first_acked or part.acked,
                resolved_at=part.resolved,
            )
        )
        events.append((EventKind.DISPATCHED, whistled, dept_id))
        if part.acked:
            events.append((EventKind.ACKED, part.first_acked or part.acked, dept_id))
        events += [(EventKind.ESCALATED, at, dept_id) for at in part.escalated]
    events += [(EventKind.REOPENED, at, None) for at in reopened]
    if closed:
        events.append((EventKind.CLOSED, closed, None))
    for kind, at, dept_id in events:
        session.add(CaseEvent(case_id=row.id, kind=kind, at=at, department_id=dept_id))
    await session.flush()
    return row.id


async def add_submission(
    session: AsyncSession,
    *,
    dept_id: int,
    form_key: str,
    period: str,
    submitted: datetime,
    by: int,
    answers: dict[str, Any],
    late: bool = False,
) -> None:
    session.add(
        ReportSubmission(
            department_id=dept_id,
            form_key=form_key,
            period=period,
            status=SubmissionStatus.SUBMITTED,
            draft={},
            answers=answers,
            version=1,
            created_at=submitted,
            created_by=by,
            updated_at=submitted,
            updated_by=by,
            submitted_at=submitted,
            submitted_by=by,
            late=late,
        )
    )
    await session.flush()
