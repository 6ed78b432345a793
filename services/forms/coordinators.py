"""Reports for the coordinators: the status board (/status), a department's reports in full
(/reports) and unlocking a report after its deadline (/unlock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import DepartmentInfo, PersonInfo
from models.forms import FormSpec, PhotosQuestion
from models.period import MonthPeriod
from models.reports import (
    BoardCell,
    BoardState,
    ReportEvent,
    ReportEventKind,
    ReportSubmission,
    SubmissionStatus,
)
from services.errors import Refusal
from services.forms import flow
from services.forms.deadlines import ReportConfig, deadline_of, due_date, forms_owed
from services.forms.flow import Draft
from services.forms.submissions import (
    departments_filling,
    draft_of,
    find_row,
    get_or_create,
    open_button,
    state_of,
)
from services.outbox import Outgoing, enqueue_to_department
from services.people import person_name
from services.textsplit import esc, pack
from services.timefmt import fmt_date, fmt_datetime

PACK_LIMIT = 3500  # characters a message, tags included: well under Telegram's 4096


async def unlock(
    session: AsyncSession,
    cfg: ReportConfig,
    actor: PersonInfo,
    department: DepartmentInfo,
    form: FormSpec,
    month: MonthPeriod,
    now: datetime,
) -> str:
    """A coordinator reopens a department's locked report (recorded; relocks on submission)."""
    if not form.filled_by.includes(department.key, department.kind):
        raise Refusal(f"《{form.title}》不由{department.name}填报，无需解锁。")
    occ = deadline_of(cfg, form, month)
    if now < occ.due_at:
        raise Refusal(
            f"{month.label}《{form.title}》尚未截止（截止日期{fmt_date(occ.due_date)}），"
            f"{department.name}仍可填写，无需解锁。"
        )
    row, _ = await get_or_create(
        session,
        department_id=department.id,
        form_key=form.key,
        period=month.key,
        person_id=None,
        now=now,
    )
    if row.unlocked_at is not None:
        return f"{department.name}{month.label}《{form.title}》已处于解锁状态，无需重复操作。"
    row.unlocked_at = now
    row.unlocked_by = actor.id
    row.version += 1
    session.add(
        ReportEvent(submission_id=row.id, kind=ReportEventKind.UNLOCKED, person_id=actor.id, at=now)
    )
    await session.flush()
    notice = (
        f"【月报已解锁】协调员已为{esc(department.name)}解锁{month.label}"
        f"《{esc(form.title)}》，请部门成员私聊本机器人发送 /report 补报或更正；提交后自动重新锁定。"
    )
    await enqueue_to_department(
        session,
        Outgoing(text=notice, buttons=[[open_button(form, month)]]),
        department_id=department.id,
        now=now,
        dedupe_key=f"report:unlocked:{row.id}:{row.version}",
    )
    return (
        f"已为{department.name}解锁{month.label}《{form.title}》，已通知该部门。"
        "部门提交后自动重新锁定。"
    )


async def board(
    session: AsyncSession, cfg: ReportConfig, month: MonthPeriod, now: datetime
) -> list[BoardCell]:
    """Department × form for a month: submitted (when, by whom), draft, missing or late."""
    cells: list[BoardCell] = []
    rows = {
        (r.department_id, r.form_key): r
        for r in await session.scalars(
            select(ReportSubmission).where(ReportSubmission.period == month.key)
        )
    }
    for form in cfg.forms.forms:
        occ = deadline_of(cfg, form, month)
        for dept in await departments_filling(session, form):
            row = rows.get((dept.id, form.key))
            draft = draft_of(row) if row is not None else Draft()
            submitted = row is not None and row.status == SubmissionStatus.SUBMITTED
            cells.append(
                BoardCell(
                    department_key=dept.key,
                    department=dept.name,
                    form_key=form.key,
                    form=form.title,
                    required=form.required,
                    state=state_of(row, occ, now),
                    deadline_at=occ.due_at,
                    submitted_at=row.submitted_at if submitted and row is not None else None,
                    submitted_by=(
                        await person_name(session, row.submitted_by)
                        if submitted and row is not None
                        else None
                    ),
                    answered=flow.answered_count(form, draft),
                    questions=len(form.questions),
                    unlocked=row is not None and row.unlocked_at is not None,
                )
            )
    return cells


def board_text(
    cells: list[BoardCell], cfg: ReportConfig, month: MonthPeriod, now: datetime
) -> list[str]:
    """The board as messages (one block per department; split to fit a phone screen)."""
    if not cells:
        return [f"{month.label}没有需要报送的月报。"]
    deadlines = "、".join(
        fmt_date(due_date(cfg, d)) for d in sorted({c.deadline_at for c in cells})
    )
    head = f"<b>{month.label}月报报送情况</b>（截至{fmt_datetime(now, cfg.tz)}）\n截止日期：{deadlines}"
    blocks: list[str] = []
    by_department: dict[str, list[BoardCell]] = {}
    for cell in cells:
        by_department.setdefault(cell.department, []).append(cell)
    for department, own in by_department.items():
        lines = [f"<b>{esc(department)}</b>"]
        for cell in own:
            lines.append(
                f"· {esc(cell.form)}{'' if cell.required else '（选报）'}：{_cell(cell, cfg)}"
            )
        blocks.append("\n".join(lines))
    required = [c for c in cells if c.required]
    count = {state: sum(1 for c in required if c.state is state) for state in BoardState}
    summary = (
        f"合计：应报{len(required)}份，已提交{count[BoardState.SUBMITTED]}份，"
        f"逾期提交{count[BoardState.SUBMITTED_LATE]}份，填写中{count[BoardState.DRAFT]}份，"
        f"未填报{count[BoardState.MISSING]}份，逾期未交{count[BoardState.LATE]}份。"
    )
    return pack([head, *blocks, summary], PACK_LIMIT, sep="\n\n")


def _cell(cell: BoardCell, cfg: ReportConfig) -> str:
    label = cell.state.shown(required=cell.required)
    if cell.submitted_at is not None:
        label += f" {fmt_datetime(cell.submitted_at, cfg.tz)} {esc(cell.submitted_by or '')}"
    elif cell.state in (BoardState.DRAFT, BoardState.LATE) and cell.answered:
        label += f"（已填{cell.answered}/{cell.questions}题）"
    if cell.unlocked:
        label += "（已解锁）"
    return label


@dataclass(frozen=True)
class ReportPage:
    """One form's report of a department, ready to show: text messages and photos."""

    form_key: str
    texts: list[str]
    photos: list[str]


async def department_report(
    session: AsyncSession,
    cfg: ReportConfig,
    department: DepartmentInfo,
    month: MonthPeriod,
    now: datetime,
) -> list[ReportPage]:
    """Every form a department owes in a month, with the submitted answers in full."""
    forms = forms_owed(cfg, department)
    if not forms:
        raise Refusal(f"{department.name}无需填报月度报表。")
    pages: list[ReportPage] = []
    for form in forms:
        row = await find_row(session, department.id, form.key, month.key)
        occ = deadline_of(cfg, form, month)
        state = state_of(row, occ, now)
        title = f"<b>{esc(department.name)} · {month.label}《{esc(form.title)}》</b>"
        if row is None or row.status != SubmissionStatus.SUBMITTED or row.answers is None:
            shown = state.shown(required=form.required)
            pages.append(ReportPage(form.key, [f"{title}\n{shown}"], []))
            continue
        who = await person_name(session, row.submitted_by)
        assert row.submitted_at is not None
        lines = [
            title,
            f"{state.label}：{fmt_datetime(row.submitted_at, cfg.tz, year=True)}，"
            f"提交人：{esc(who)}",
            *flow.review_lines(form, row.answers, full=True),
        ]
        photos = _photos(form, row.answers)
        pages.append(ReportPage(form.key, pack(lines, PACK_LIMIT), photos))
    return pages


def _photos(form: FormSpec, answers: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for question in form.questions:
        value = answers.get(question.key)
        if isinstance(question, PhotosQuestion) and isinstance(value, list):
            found.extend(str(v) for v in value)
        elif question.type == "group" and isinstance(value, list):
            for item in value:
                for sub in question.questions:
                    photos = item.get(sub.key) if isinstance(item, dict) else None
                    if isinstance(sub, PhotosQuestion) and isinstance(photos, list):
                        found.extend(str(v) for v in photos)
    return found
