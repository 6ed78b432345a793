"""The bulletin's read of the monthly reports: every submitted report of a month."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.org import Department
from models.period import MonthPeriod
from models.reports import ReportSubmission, SubmissionInfo, SubmissionStatus
from services.forms.deadlines import ReportConfig
from services.people import person_name


async def submissions_of(
    session: AsyncSession, cfg: ReportConfig, month: MonthPeriod
) -> list[SubmissionInfo]:
    """Every submitted report of a month (forms still in the forms file), by department."""
    result: list[SubmissionInfo] = []
    rows = await session.scalars(
        select(ReportSubmission)
        .where(
            ReportSubmission.period == month.key,
            ReportSubmission.status == SubmissionStatus.SUBMITTED,
        )
        .order_by(ReportSubmission.department_id, ReportSubmission.id)
    )
    for row in rows:
        form = cfg.forms.form(row.form_key)
        dept = await session.get(Department, row.department_id)
        if form is None or dept is None or row.answers is None or row.submitted_at is None:
            continue
        result.append(
            SubmissionInfo(
                id=row.id,
                department_key=dept.key,
                department=dept.name,
                form_key=form.key,
                form=form.title,
                period=row.period,
                answers=dict(row.answers),
                submitted_at=row.submitted_at,
                submitted_by=await person_name(session, row.submitted_by),
                late=row.late,
            )
        )
    return result
