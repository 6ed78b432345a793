"""The monthly report conversation: one shared draft per department, form and month; open or
resume it, answer question by question, submit; locked after the deadline unless a coordinator
unlocked it. Each action is one use case in the caller's transaction, the person's dialog
(which report their private chat is on) included.

Diagram: docs/report-conversation.mmd (questions and answers: services/forms/flow.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import DepartmentInfo, PersonInfo
from models.forms import FormSpec
from models.period import MonthPeriod
from models.reports import (
    BoardState,
    ReportEvent,
    ReportEventKind,
    ReportSubmission,
    SubmissionStatus,
)
from models.schedule import Occurrence
from services.dialogs import clear_dialog, set_dialog
from services.errors import Refusal
from services.forms import flow
from services.forms.answers import RawAnswer
from services.forms.deadlines import ReportConfig, deadline_of, find_form, forms_owed
from services.forms.flow import Draft, Review
from services.forms.screens import SUBMIT, render
from services.forms.submissions import (
    check_month,
    draft_of,
    editable,
    filler_department,
    fillers_text,
    find_row,
    get_or_create,
    may_fill,
    state_of,
)
from services.outbox import Button, Outgoing, enqueue_to_department
from services.people import person_name
from services.textsplit import esc
from services.timefmt import fmt_date, fmt_datetime

STALE = "该按钮已过期，已为您显示当前问题。"
DIALOG = "report"  # the dialog kind of a person filling a report in their private chat


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
    period: str = ""  # the month's key, e.g. 2026-11 (to open the same form again)


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


@dataclass(frozen=True)
class Menu:
    """/report with several forms (or for someone who only looks): where each form stands."""

    department: str
    choices: list[FormChoice]
    fills: bool  # the person may open them; False: a grid worker, shown the state only
    note: str  # the last line: what to press, or who fills the department's reports


@dataclass(frozen=True)
class Opening:
    """/report would open this form at once (nothing opened yet)."""

    form_key: str
    period: MonthPeriod | None  # None: the current month


async def start(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    now: datetime,
    *,
    form_text: str | None = None,
) -> FormView | Menu:
    """/report [报表]: the named form, or the only one open, or the menu of the department's."""
    chosen = await choose(session, cfg, person, now, form_text=form_text)
    if isinstance(chosen, Menu):
        return chosen
    return await open_form(session, cfg, person, chosen.form_key, now, period=chosen.period)


async def choose(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    now: datetime,
    *,
    form_text: str | None = None,
) -> Opening | Menu:
    """What /report [报表] shows, changing nothing: the form to open, or the menu.

    A form the person may not open is refused here, before anything else is set aside for it.
    """
    department = person.department
    if department is None:
        raise Refusal("您尚未归属任何部门，无需填报月度报表。")
    if form_text:
        form = find_form(cfg, form_text)
        filler_department(person, form)
        return Opening(form.key, None)
    choices = await choices_for(session, cfg, person, now)
    if not choices:
        raise Refusal(f"{department.name}本月无需填报月度报表。")
    fills = may_fill(person)
    if fills and len(choices) == 1 and choices[0].editable:
        return Opening(choices[0].form_key, choices[0].period)
    note = "请点击要填写或查看的报表。" if fills else fillers_text(department)
    return Menu(department.name, choices, fills, note)


def check_may_open(
    cfg: ReportConfig, person: PersonInfo, form_key: str, period: MonthPeriod | None, now: datetime
) -> None:
    """The checks of open_form that need no database: the filler and the month (Refusal)."""
    filler_department(person, cfg.form(form_key))
    current = cfg.period_of(now)
    check_month(period or current, current)


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
            row = await find_row(session, department.id, form.key, period.key)
            if period != month and (row is None or row.unlocked_at is None):
                continue
            occ = deadline_of(cfg, form, period)
            draft = draft_of(row) if row is not None else Draft()
            result.append(
                FormChoice(
                    form_key=form.key,
                    title=form.title,
                    period=period,
                    required=form.required,
                    state=state_of(row, occ, now),
                    answered=flow.answered_count(form, draft),
                    questions=len(form.questions),
                    editable=editable(row, occ, now),
                )
            )
    return result


async def open_form(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    form_key: str,
    now: datetime,
    *,
    period: MonthPeriod | None = None,
) -> FormView:
    """Start or resume the department's report; says whose draft it is and where it stands.
    The person's private chat stays on it until it is submitted (or shown locked)."""
    view = await _open(session, cfg, person, form_key, now, period=period)
    await _keep_dialog(session, person, view, now)
    return view


async def _open(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    form_key: str,
    now: datetime,
    *,
    period: MonthPeriod | None,
) -> FormView:
    form = cfg.form(form_key)
    department = filler_department(person, form)
    current = cfg.period_of(now)
    month = period or current
    check_month(month, current)
    occ = deadline_of(cfg, form, month)
    row = await find_row(session, department.id, form.key, month.key, lock=True)
    if not editable(row, occ, now):
        return await _locked_view(session, cfg, form, row, month, occ, department)
    row, created = await get_or_create(
        session,
        department_id=department.id,
        form_key=form.key,
        period=month.key,
        person_id=person.id,
        now=now,
    )
    draft = flow.normalize(form, draft_of(row))
    notes: list[str] = []
    answered = flow.answered_count(form, draft)
    total = len(form.questions)
    if row.status == SubmissionStatus.SUBMITTED:
        who = await person_name(session, row.submitted_by)
        assert row.submitted_at is not None
        notes.append(
            f"本表已于{fmt_datetime(row.submitted_at, cfg.tz)}由{who}提交。"
            f"截止日期为{fmt_date(occ.due_date)}，此前仍可修改，修改后请重新提交。"
        )
    elif not created and (answered or draft.group is not None):
        who = await person_name(session, row.updated_by)
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
    draft = draft_of(row)
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
        period=month.key,
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
    closed = f"{month.label}《{esc(form.title)}》已于{fmt_date(occ.due_date)}截止"
    name = esc(department.name)
    if row is not None and row.status == SubmissionStatus.SUBMITTED and row.answers is not None:
        who = esc(await person_name(session, row.submitted_by))
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
        period=month.key,
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
    *,
    message_id: int | None = None,
) -> FormView:
    """Apply one answer or button to the department's draft (or submit it), and save it; the
    person's private chat stays on the report until it is submitted or found locked.
    `message_id`: the person's message that carried the answer (None for a button)."""
    view = await _act(session, cfg, person, submission_id, given, now)
    await _keep_dialog(session, person, view, now, message_id)
    return view


async def _act(
    session: AsyncSession,
    cfg: ReportConfig,
    person: PersonInfo,
    submission_id: int,
    given: Input,
    now: datetime,
) -> FormView:
    row = await session.scalar(
        select(ReportSubmission).where(ReportSubmission.id == submission_id).with_for_update()
    )
    if row is None:
        raise Refusal("未找到该报表，请发送 /report 重新开始。")
    form = cfg.form(row.form_key)
    department = filler_department(person, form)
    if department.id != row.department_id:
        raise Refusal("该报表属于其他部门，您不能修改。")
    month = MonthPeriod.parse(row.period)
    check_month(month, cfg.period_of(now))
    occ = deadline_of(cfg, form, month)
    if not editable(row, occ, now):
        session.add(
            ReportEvent(
                submission_id=row.id,
                kind=ReportEventKind.LATE_EDIT_REFUSED,
                person_id=person.id,
                at=now,
            )
        )
        refusal = (
            f"本表已于{fmt_date(occ.due_date)}截止，不能再修改。如需补报或更正，请联系协调员解锁。"
        )
        return await _locked_view(session, cfg, form, row, month, occ, department, error=refusal)
    if given.version is not None and given.version != row.version:
        return _view(cfg, form, row, month, department, error=STALE)
    if given.action == SUBMIT:
        return await _submit(session, cfg, person, form, row, month, occ, department, now)
    draft = draft_of(row)
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
    draft = draft_of(row)
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
            kind=ReportEventKind.RESUBMITTED if again else ReportEventKind.SUBMITTED,
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
        f"已收到，谢谢。{esc(department.name)}{month.label}《{esc(form.title)}》已"
        f"{'重新' if again else ''}提交（{fmt_datetime(now, cfg.tz)}）。{after}"
    )
    return FormView(
        submission_id=row.id,
        version=row.version,
        form_key=form.key,
        period=month.key,
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
        f"【月报已提交】{esc(person.display_name)}已提交{esc(department.name)}"
        f"{month.label}《{esc(form.title)}》（{fmt_datetime(now, cfg.tz)}）。"
    )
    await enqueue_to_department(
        session,
        Outgoing(text=text),
        department_id=department.id,
        now=now,
        dedupe_key=f"report:submitted:{row.id}:{row.version}",
    )


async def _keep_dialog(
    session: AsyncSession,
    person: PersonInfo,
    view: FormView,
    now: datetime,
    message_id: int | None = None,
) -> None:
    """Keep (or end) the person's conversation on this report: their private chat's dialog.

    `message_id`: the message whose answer the report now holds, so the same message delivered
    again is not taken as the answer to the next question (services/dialogs.py).
    """
    uid = person.telegram_user_id
    if view.finished:
        await clear_dialog(session, uid, uid, DIALOG)
        return
    await set_dialog(
        session,
        user_id=uid,
        chat_id=uid,
        kind=DIALOG,
        step=view.form_key,
        data={"submission_id": view.submission_id, "period": view.period},
        now=now,
        message_id=message_id,
    )
