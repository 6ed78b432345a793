"""Monthly reports as use cases: one shared draft per department, form and month; submit; lock
after the deadline; unlock by a coordinator; the status board; the viewer; the bulletin's read.

Every function takes the session (one transaction, the caller's) and `now`; rows never leave.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import DepartmentInfo, PersonInfo
from models.forms import FormsFile, FormSpec, PhotosQuestion
from models.org import Department
from models.people import Person
from models.period import MonthPeriod
from models.reports import (
    BoardCell,
    BoardState,
    ReportChaseMark,
    ReportEvent,
    ReportSubmission,
    SubmissionInfo,
    SubmissionStatus,
)
from models.schedule import LeadTime, Occurrence
from services.errors import Refusal
from services.forms import flow
from services.forms.answers import RawAnswer
from services.forms.flow import Draft, Review
from services.forms.screens import SUBMIT, Button, render
from services.outbox import Button as OutboxButton
from services.outbox import Outgoing, enqueue_to_coordinators, enqueue_to_department
from services.runtime import Runtime
from services.schedule_rules import occurrences, parse_leads, parse_schedule
from services.timefmt import fmt_date, fmt_datetime
from services.workdays import WorkdayCalendar

STALE = "该按钮已过期，已为您显示当前问题。"


@dataclass(frozen=True)
class ReportConfig:
    """What the report use cases need besides the database: the forms, the zone, the calendar."""

    forms: FormsFile
    tz: ZoneInfo
    calendar: WorkdayCalendar

    def form(self, key: str) -> FormSpec:
        form = self.forms.form(key)
        if form is None:
            raise Refusal("该报表已从表单配置中删除，无法继续填写。请联系协调员。")
        return form

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def period_of(self, now: datetime) -> MonthPeriod:
        return MonthPeriod.of(self.today(now))


@functools.lru_cache(maxsize=512)
def _occurrence(
    deadline: str, remind: tuple[str, ...], period: str, calendar: WorkdayCalendar, tz: ZoneInfo
) -> Occurrence:
    spec = parse_schedule(deadline)
    leads = parse_leads(list(remind))
    month = MonthPeriod.parse(period)
    margin = timedelta(days=40)
    for occ in occurrences(
        spec, calendar, tz, month.first_day - margin, month.last_day + margin, leads
    ):
        if occ.period == period:
            return occ
    raise ValueError(f"deadline {deadline!r} has no occurrence in {period}")


def deadline_of(cfg: ReportConfig, form: FormSpec, period: MonthPeriod) -> Occurrence:
    """The form's deadline in a month: due date, due moment (UTC) and reminder moments."""
    return _occurrence(form.deadline, tuple(form.remind), period.key, cfg.calendar, cfg.tz)


def forms_owed(cfg: ReportConfig, department: DepartmentInfo | None) -> list[FormSpec]:
    """The forms a department fills, in file order."""
    if department is None:
        return []
    return cfg.forms.owed_by(department.key, department.kind)


@dataclass(frozen=True)
class FormView:
    """What to show a person after an operation on a report (HTML text and action buttons)."""

    submission_id: int
    version: int
    form_key: str
    text: str
    rows: list[list[Button]] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    editable: bool = True
    finished: bool = False  # the conversation is over (submitted, or locked)


@dataclass(frozen=True)
class FormChoice:
    """One line of the /report menu: a form the department owes and where it stands."""

    form_key: str
    title: str
    period: MonthPeriod
    required: bool
    state: BoardState
    answered: int
    questions: int
    editable: bool


# -- rows ---------------------------------------------------------------------------------------


async def _find(
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


async def _get_or_create(
    session: AsyncSession,
    *,
    department_id: int,
    form_key: str,
    period: str,
    person_id: int | None,
    now: datetime,
) -> tuple[ReportSubmission, bool]:
    """The department's row for the form and month; created once even if two members race."""
    row = await _find(session, department_id, form_key, period, lock=True)
    if row is not None:
        return row, False
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ReportSubmission)
        .values(
            department_id=department_id,
            form_key=form_key,
            period=period,
            status=SubmissionStatus.DRAFT,
            draft=Draft().model_dump(mode="json"),
            answers=None,
            version=0,
            created_at=now,
            created_by=person_id,
            updated_at=now,
            updated_by=person_id,
            late=False,
        )
        .on_conflict_do_nothing(index_elements=["department_id", "form_key", "period"])
        .returning(ReportSubmission.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    row = await _find(session, department_id, form_key, period, lock=True)
    assert row is not None
    if new_id is not None:
        session.add(ReportEvent(submission_id=row.id, kind="started", person_id=person_id, at=now))
    return row, new_id is not None


async def _name(session: AsyncSession, person_id: int | None) -> str:
    if person_id is None:
        return "（未知）"
    person = await session.get(Person, person_id)
    return person.display_name if person is not None else "（未知）"


def _draft(row: ReportSubmission) -> Draft:
    return Draft.model_validate(row.draft or {})


def _editable(row: ReportSubmission | None, occ: Occurrence, now: datetime) -> bool:
    return now < occ.due_at or (row is not None and row.unlocked_at is not None)


def _state(row: ReportSubmission | None, occ: Occurrence, now: datetime) -> BoardState:
    if row is not None and row.status == SubmissionStatus.SUBMITTED:
        return BoardState.SUBMITTED_LATE if row.late else BoardState.SUBMITTED
    if now >= occ.due_at:
        return BoardState.LATE
    if row is not None and _draft(row).answers:
        return BoardState.DRAFT
    return BoardState.MISSING


# -- the conversation ------------------------------------------------------------------------


async def choices_for(
    session: AsyncSession, cfg: ReportConfig, person: PersonInfo, now: datetime
) -> list[FormChoice]:
    """The forms the person's department owes this month (and last month's, where a coordinator
    unlocked them), with where each stands."""
    department = person.department
    if department is None:
        return []
    month = cfg.period_of(now)
    result: list[FormChoice] = []
    for form in forms_owed(cfg, department):
        for period in (month.previous(), month):
            row = await _find(session, department.id, form.key, period.key)
            if period != month and (row is None or row.unlocked_at is None):
                continue
            occ = deadline_of(cfg, form, period)
            draft = _draft(row) if row is not None else Draft()
            result.append(
                FormChoice(
                    form_key=form.key,
                    title=form.title,
                    period=period,
                    required=form.required,
                    state=_state(row, occ, now),
                    answered=flow.answered_count(form, draft),
                    questions=len(form.questions),
                    editable=_editable(row, occ, now),
                )
            )
    return result


def _check_member(person: PersonInfo, form: FormSpec) -> DepartmentInfo:
    department = person.department
    if department is None:
        raise Refusal("您尚未归属任何部门，无需填报月度报表。")
    if not form.filled_by.includes(department.key, department.kind):
        raise Refusal(f"《{form.title}》不由{department.name}填报。")
    return department


async def open_form(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    form_key: str,
    now: datetime,
    *,
    period: MonthPeriod | None = None,
) -> FormView:
    """Start or resume the department's report; says whose draft it is and where it stands."""
    form = cfg.form(form_key)
    department = _check_member(person, form)
    month = period or cfg.period_of(now)
    occ = deadline_of(cfg, form, month)
    row = await _find(session, department.id, form.key, month.key, lock=True)
    if not _editable(row, occ, now):
        return await _locked_view(session, cfg, form, row, month, occ, department)
    row, created = await _get_or_create(
        session,
        department_id=department.id,
        form_key=form.key,
        period=month.key,
        person_id=person.id,
        now=now,
    )
    draft = flow.normalize(form, _draft(row))
    notes: list[str] = []
    answered = flow.answered_count(form, draft)
    total = len(form.questions)
    if row.status == SubmissionStatus.SUBMITTED:
        who = await _name(session, row.submitted_by)
        assert row.submitted_at is not None
        notes.append(
            f"本表已于{fmt_datetime(row.submitted_at, cfg.tz)}由{who}提交。"
            f"截止日期为{fmt_date(occ.due_date)}，此前仍可修改，修改后请重新提交。"
        )
    elif not created and (answered or draft.group is not None):
        who = await _name(session, row.updated_by)
        saved = fmt_datetime(row.updated_at, cfg.tz)
        step = flow.current_step(form, draft)
        where = (
            "请核对后提交"
            if isinstance(step, Review)
            else f"接着填写第{getattr(step, 'number', answered + 1)}题"
        )
        by = "您" if row.updated_by == person.id else f"本部门{who}"
        notes.append(f"已恢复草稿：已填写{answered}/{total}题（{by}于{saved}保存），{where}。")
    else:
        notes.append(
            f"开始填写{month.label}《{form.title}》，共{total}题，"
            f"截止时间：{fmt_date(occ.due_date)}。答案随填随存，可随时中断，发送 /report 继续。"
        )
    if row.unlocked_at is not None:
        notes.insert(0, "协调员已解锁本表，可补报或更正；提交后自动重新锁定。")
    return _view(cfg, form, row, month, department, notes=notes)


def _view(
    cfg: ReportConfig,
    form: FormSpec,
    row: ReportSubmission,
    month: MonthPeriod,
    department: DepartmentInfo,
    *,
    error: str | None = None,
    notes: list[str] | None = None,
) -> FormView:
    draft = _draft(row)
    heading = f"部门：{department.name}"
    if row.status == SubmissionStatus.SUBMITTED:
        changed = (row.answers or {}) != draft.answers
        heading += "（已提交" + ("；有未提交的修改" if changed else "") + "）"
    if row.unlocked_at is not None:
        heading += "（协调员已解锁）"
    screen = render(form, draft, period=month, heading=heading)
    return FormView(
        submission_id=row.id,
        version=row.version,
        form_key=form.key,
        text=screen.text,
        rows=screen.rows,
        error=error,
        notes=list(notes or []),
    )


async def _locked_view(
    session: AsyncSession,
    cfg: ReportConfig,
    form: FormSpec,
    row: ReportSubmission | None,
    month: MonthPeriod,
    occ: Occurrence,
    department: DepartmentInfo,
    *,
    error: str | None = None,
) -> FormView:
    closed = f"{month.label}《{_esc(form.title)}》已于{fmt_date(occ.due_date)}截止"
    name = _esc(department.name)
    if row is not None and row.status == SubmissionStatus.SUBMITTED and row.answers is not None:
        who = _esc(await _name(session, row.submitted_by))
        assert row.submitted_at is not None
        lines = [f"{closed}，{name}已于{fmt_datetime(row.submitted_at, cfg.tz)}由{who}提交："]
        lines.extend(flow.review_lines(form, row.answers))
        lines.append("如需更正，请联系协调员解锁。")
        text = "\n".join(lines)
    else:
        text = f"{closed}，{name}未提交。如需补报，请联系协调员解锁。"
    return FormView(
        submission_id=row.id if row is not None else 0,
        version=row.version if row is not None else 0,
        form_key=form.key,
        text=text,
        error=error,
        editable=False,
        finished=True,
    )


@dataclass(frozen=True)
class Input:
    """One thing a person did in the conversation: typed, sent a photo, or pressed a button."""

    text: str | None = None
    photo: str | None = None
    action: str | None = None
    version: int | None = None  # carried by buttons; a mismatch means the button is stale


async def act(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    submission_id: int,
    given: Input,
    now: datetime,
) -> FormView:
    """Apply one answer or button to the department's draft (or submit it), and save it."""
    row = await session.scalar(
        select(ReportSubmission).where(ReportSubmission.id == submission_id).with_for_update()
    )
    if row is None:
        raise Refusal("未找到该报表，请发送 /report 重新开始。")
    form = cfg.form(row.form_key)
    department = _check_member(person, form)
    if department.id != row.department_id:
        raise Refusal("该报表属于其他部门，您不能修改。")
    month = MonthPeriod.parse(row.period)
    occ = deadline_of(cfg, form, month)
    if not _editable(row, occ, now):
        session.add(
            ReportEvent(submission_id=row.id, kind="late_edit_refused", person_id=person.id, at=now)
        )
        refusal = (
            f"本表已于{fmt_date(occ.due_date)}截止，不能再修改。如需补报或更正，请联系协调员解锁。"
        )
        return await _locked_view(session, cfg, form, row, month, occ, department, error=refusal)
    if given.version is not None and given.version != row.version:
        return _view(cfg, form, row, month, department, error=STALE)
    if given.action == SUBMIT:
        return await _submit(session, cfg, person, form, row, month, occ, department, now)
    draft = _draft(row)
    today = cfg.today(now)
    outcome: flow.Outcome
    if given.photo is not None:
        outcome = flow.add_photo(form, draft, given.photo, period=month, today=today)
    elif given.action is not None:
        outcome = flow.press(form, draft, given.action, period=month, today=today)
    else:
        raw: RawAnswer = given.text or ""
        outcome = flow.answer(form, draft, raw, period=month, today=today)
    new = outcome.draft.model_dump(mode="json")
    if new != row.draft:
        row.draft = new
        row.version += 1
        row.updated_at = now
        row.updated_by = person.id
        await session.flush()
    return _view(cfg, form, row, month, department, error=outcome.error, notes=outcome.notes)


async def _submit(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    form: FormSpec,
    row: ReportSubmission,
    month: MonthPeriod,
    occ: Occurrence,
    department: DepartmentInfo,
    now: datetime,
) -> FormView:
    draft = _draft(row)
    if not flow.is_complete(form, draft):
        return _view(cfg, form, row, month, department, error="尚有问题未作答，请先完成再提交。")
    again = row.status == SubmissionStatus.SUBMITTED
    row.status = SubmissionStatus.SUBMITTED
    row.answers = {q.key: draft.answers.get(q.key) for q in form.questions}
    row.submitted_at = now
    row.submitted_by = person.id
    row.deadline_at = occ.due_at
    row.late = now >= occ.due_at
    was_unlocked = row.unlocked_at is not None
    # A coordinator's unlock lasts until the department submits again.
    row.unlocked_at = None
    row.unlocked_by = None
    row.version += 1
    row.updated_at = now
    row.updated_by = person.id
    session.add(
        ReportEvent(
            submission_id=row.id,
            kind="resubmitted" if again else "submitted",
            person_id=person.id,
            at=now,
            note="逾期（解锁后）提交" if row.late else None,
        )
    )
    await session.flush()
    await _tell_department(session, cfg, person, form, row, month, department, now)
    after = (
        "本表已重新锁定。"
        if was_unlocked and row.late
        else f"截止日期为{fmt_date(occ.due_date)}，此前如需修改，请再次发送 /report。"
    )
    text = (
        f"已收到，谢谢。{_esc(department.name)}{month.label}《{_esc(form.title)}》已"
        f"{'重新' if again else ''}提交（{fmt_datetime(now, cfg.tz)}）。{after}"
    )
    return FormView(
        submission_id=row.id,
        version=row.version,
        form_key=form.key,
        text=text,
        editable=not row.late,
        finished=True,
    )


async def _tell_department(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    form: FormSpec,
    row: ReportSubmission,
    month: MonthPeriod,
    department: DepartmentInfo,
    now: datetime,
) -> None:
    """Let the department's group know the form is done, so nobody else starts it."""
    text = (
        f"【月报已提交】{_esc(person.display_name)}已提交{_esc(department.name)}"
        f"{month.label}《{_esc(form.title)}》（{fmt_datetime(now, cfg.tz)}）。"
    )
    await enqueue_to_department(
        session,
        Outgoing(text=text),
        department_id=department.id,
        now=now,
        dedupe_key=f"report:submitted:{row.id}:{row.version}",
    )


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


# -- coordinators: unlock, board, viewer -------------------------------------------------------


def find_form(cfg: ReportConfig, text: str) -> FormSpec:
    """A form by key or by title (with or without 《》)."""
    wanted = text.strip().strip("《》")
    for form in cfg.forms.forms:
        if wanted in (form.key, form.title):
            return form
    titles = "、".join(f"{f.title}（{f.key}）" for f in cfg.forms.forms)
    raise Refusal(f"未找到报表“{wanted}”。可用的报表：{titles}。")


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
    row, _ = await _get_or_create(
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
    session.add(ReportEvent(submission_id=row.id, kind="unlocked", person_id=actor.id, at=now))
    await session.flush()
    notice = (
        f"【月报已解锁】协调员已为{_esc(department.name)}解锁{month.label}"
        f"《{_esc(form.title)}》，请部门成员私聊本机器人发送 /report 补报或更正；提交后自动重新锁定。"
    )
    await enqueue_to_department(
        session,
        Outgoing(text=notice, buttons=[[_open_button(form, month)]]),
        department_id=department.id,
        now=now,
        dedupe_key=f"report:unlocked:{row.id}:{row.version}",
    )
    return (
        f"已为{department.name}解锁{month.label}《{form.title}》，已通知该部门。"
        "部门提交后自动重新锁定。"
    )


def _open_button(form: FormSpec, month: MonthPeriod) -> OutboxButton:
    """The button under a reminder that opens the form in the presser's private chat."""
    return OutboxButton("填写报表", data=f"rp:o:{form.key}:{month.key}")


async def _departments(session: AsyncSession, form: FormSpec) -> list[Department]:
    rows = await session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    )
    return [d for d in rows if form.filled_by.includes(d.key, d.kind)]


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
        for dept in await _departments(session, form):
            row = rows.get((dept.id, form.key))
            draft = _draft(row) if row is not None else Draft()
            submitted = row is not None and row.status == SubmissionStatus.SUBMITTED
            cells.append(
                BoardCell(
                    department_key=dept.key,
                    department=dept.name,
                    form_key=form.key,
                    form=form.title,
                    required=form.required,
                    state=_state(row, occ, now),
                    deadline_at=occ.due_at,
                    submitted_at=row.submitted_at if submitted and row is not None else None,
                    submitted_by=(
                        await _name(session, row.submitted_by)
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
        fmt_date(_due_date(cfg, d)) for d in sorted({c.deadline_at for c in cells})
    )
    head = f"<b>{month.label}月报报送情况</b>（截至{fmt_datetime(now, cfg.tz)}）\n截止日期：{deadlines}"
    blocks: list[str] = []
    by_department: dict[str, list[BoardCell]] = {}
    for cell in cells:
        by_department.setdefault(cell.department, []).append(cell)
    for department, own in by_department.items():
        lines = [f"<b>{_esc(department)}</b>"]
        for cell in own:
            lines.append(
                f"· {_esc(cell.form)}{'' if cell.required else '（选报）'}：{_cell(cell, cfg)}"
            )
        blocks.append("\n".join(lines))
    required = [c for c in cells if c.required]
    count = {state: sum(1 for c in required if c.state is state) for state in BoardState}
    summary = (
        f"合计：应报{len(required)}份，已提交{count[BoardState.SUBMITTED]}份，"
        f"逾期提交{count[BoardState.SUBMITTED_LATE]}份，填写中{count[BoardState.DRAFT]}份，"
        f"未填报{count[BoardState.MISSING]}份，逾期未交{count[BoardState.LATE]}份。"
    )
    return _pack([head, *blocks, summary])


def _cell(cell: BoardCell, cfg: ReportConfig) -> str:
    label = cell.state.shown(required=cell.required)
    if cell.submitted_at is not None:
        label += f" {fmt_datetime(cell.submitted_at, cfg.tz)} {_esc(cell.submitted_by or '')}"
    elif cell.state in (BoardState.DRAFT, BoardState.LATE) and cell.answered:
        label += f"（已填{cell.answered}/{cell.questions}题）"
    if cell.unlocked:
        label += "（已解锁）"
    return label


def _pack(blocks: list[str], limit: int = 3500) -> list[str]:
    """Join blocks with blank lines into as few messages as fit under limit."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if current and len(candidate) > limit:
            messages.append(current)
            current = block
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


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
        row = await _find(session, department.id, form.key, month.key)
        occ = deadline_of(cfg, form, month)
        state = _state(row, occ, now)
        title = f"<b>{_esc(department.name)} · {month.label}《{_esc(form.title)}》</b>"
        if row is None or row.status != SubmissionStatus.SUBMITTED or row.answers is None:
            shown = state.shown(required=form.required)
            pages.append(ReportPage(form.key, [f"{title}\n{shown}"], []))
            continue
        who = await _name(session, row.submitted_by)
        assert row.submitted_at is not None
        lines = [
            title,
            f"{state.label}：{fmt_datetime(row.submitted_at, cfg.tz, year=True)}，"
            f"提交人：{_esc(who)}",
            *flow.review_lines(form, row.answers, full=True),
        ]
        photos = _photos(form, row.answers)
        pages.append(ReportPage(form.key, _pack_lines(lines), photos))
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


def _pack_lines(lines: list[str], limit: int = 3500) -> list[str]:
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > limit:
            messages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        messages.append("\n".join(current))
    return messages


# -- the bulletin's read -----------------------------------------------------------------------


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
                submitted_by=await _name(session, row.submitted_by),
                late=row.late,
            )
        )
    return result


# -- chasing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    form: FormSpec
    month: MonthPeriod
    occ: Occurrence
    moment: str  # the reminder's fire time (ISO), or "late"
    lead: LeadTime | None = None


def _due_now(cfg: ReportConfig, now: datetime) -> list[_Due]:
    """Chasing moments that have come (pure): the latest passed reminder before each deadline,
    and the late list in the three days after it."""
    found: list[_Due] = []
    today = cfg.today(now)
    for form in cfg.forms.forms:
        if not form.required:
            continue
        for month in (MonthPeriod.of(today).previous(), MonthPeriod.of(today)):
            occ = deadline_of(cfg, form, month)
            passed = [f for f in occ.fires if f.fire_at <= now]
            if passed and now < occ.due_at:
                fire = passed[-1]
                found.append(_Due(form, month, occ, fire.fire_at.isoformat(), fire.lead))
            if occ.due_at <= now < occ.due_at + LATE_LIST_WINDOW:
                found.append(_Due(form, month, occ, "late"))
    return found


LATE_LIST_WINDOW = timedelta(days=3)


async def chase(session: AsyncSession, cfg: ReportConfig, now: datetime) -> int:
    """Remind departments without a submission before the deadline; list late ones after it.

    Only the latest reminder moment that has passed is sent (after downtime: one reminder, not
    a burst), none once the deadline is over; each moment is handled once (a mark row) and
    each message has an outbox dedupe key. Returns the number of messages queued.
    """
    due = _due_now(cfg, now)
    if not due:
        return 0
    marks = set(
        (
            await session.execute(
                select(
                    ReportChaseMark.form_key, ReportChaseMark.period, ReportChaseMark.moment
                ).where(ReportChaseMark.period.in_({d.month.key for d in due}))
            )
        ).tuples()
    )
    todo = [d for d in due if (d.form.key, d.month.key, d.moment) not in marks]
    queued = 0
    late: dict[tuple[str, datetime], list[tuple[FormSpec, list[Department]]]] = {}
    for item in todo:
        pending = await _pending(session, item.form, item.month)
        count = 0
        if item.lead is not None:
            for dept in pending:
                count += await _remind(
                    session, cfg, item.form, item.month, item.occ, dept, item.lead, now
                )
        elif pending:
            late.setdefault((item.month.key, item.occ.due_at), []).append((item.form, pending))
        session.add(
            ReportChaseMark(
                form_key=item.form.key,
                period=item.month.key,
                moment=item.moment,
                handled_at=now,
                queued=count,
            )
        )
        queued += count
    for (period, due_at), entries in late.items():
        month = MonthPeriod.parse(period)
        lines = [
            f"【月报逾期】{month.label}月报已于{fmt_date(_due_date(cfg, due_at))}截止，"
            "以下部门尚未提交："
        ]
        for form, depts in entries:
            names = "、".join(_esc(d.name) for d in depts)
            lines.append(f"· 《{_esc(form.title)}》：{names}")
        lines.append("发送 /status 查看报送情况；如允许补报，请发送 /unlock 部门 报表 解锁。")
        ids = await enqueue_to_coordinators(
            session,
            Outgoing(text="\n".join(lines)),
            now=now,
            dedupe_key=f"report:late:{period}:{due_at:%Y%m%d%H%M}",
        )
        queued += len(ids)
    await session.flush()
    return queued


def _due_date(cfg: ReportConfig, due_at: datetime) -> date:
    # A deadline without a clock time is due at the midnight that ends its day.
    local = due_at.astimezone(cfg.tz)
    return (local - timedelta(seconds=1)).date()


async def _pending(session: AsyncSession, form: FormSpec, month: MonthPeriod) -> list[Department]:
    submitted = set(
        await session.scalars(
            select(ReportSubmission.department_id).where(
                ReportSubmission.form_key == form.key,
                ReportSubmission.period == month.key,
                ReportSubmission.status == SubmissionStatus.SUBMITTED,
            )
        )
    )
    return [d for d in await _departments(session, form) if d.id not in submitted]


async def _remind(
    session: AsyncSession,
    cfg: ReportConfig,
    form: FormSpec,
    month: MonthPeriod,
    occ: Occurrence,
    dept: Department,
    lead: LeadTime,
    now: datetime,
) -> int:
    on_the_day = lead.amount == 0
    when = "今天" if on_the_day else fmt_date(occ.due_date)
    text = (
        f"【月报提醒】{_esc(dept.name)}：{month.label}《{_esc(form.title)}》尚未提交，"
        f"截止时间为{when}{'（' + fmt_date(occ.due_date) + '）' if on_the_day else ''}。"
        "请部门成员点击下方按钮，或私聊本机器人发送 /report 填写。"
    )
    row_id = await enqueue_to_department(
        session,
        Outgoing(text=text, buttons=[[_open_button(form, month)]]),
        department_id=dept.id,
        now=now,
        dedupe_key=f"report:remind:{form.key}:{month.key}:{dept.key}:{lead.amount}{lead.unit}",
    )
    return 1 if row_id is not None else 0


def config_of(rt: Runtime) -> ReportConfig:
    """The report settings of a running bot."""
    return ReportConfig(forms=rt.forms, tz=rt.tz, calendar=rt.calendar)


async def chase_step(rt: Runtime, now: datetime) -> int:
    """Scheduler step: the chasing reminders and the late list, in one transaction."""
    async with rt.transaction() as session:
        return await chase(session, config_of(rt), now)
