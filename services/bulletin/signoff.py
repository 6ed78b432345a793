"""签发: the month's 通报 goes to the coordinators as a draft and is issued once signed.

    last workday deliver_at ──► DRAFT (送审稿 to coordinators, buttons 签发/修改意见/补充工作要求)
      补充工作要求 (typed) ──► DRAFT, revision + 1, the new draft sent again
      修改意见 (typed) ──► forwarded to the coordinators; the draft stays
      签发 ──► SIGNED: 发文字号 taken from the year's counter, final files to the audience
      sign_by passed ──► unsigned: send → RELEASED (unnumbered, marked 未经签发)
                                   remind → reminded, deadline to the next workday

Every transition is one conditional UPDATE of the month's `bulletin_runs` row (status and
revision re-checked) written with its outbox rows, so two presses, two ticks, a restart or a
second process act once. Files are rendered before that transaction (CPU, off the loop).
Drawn in docs/bulletin-signoff.mmd.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.bulletin import BulletinSpec
from models.bulletin_runs import BulletinRun, BulletinRunStatus
from models.dto import PersonInfo
from models.enums import DepartmentKind
from models.org import Department
from models.outbox import OutboxKind
from models.period import MonthPeriod
from services.bulletin.build import compute, render
from services.bulletin.issue import number_pattern, peek_number, take_number
from services.buttons import BULLETIN, BulletinAction
from services.errors import Refusal
from services.outbox import Button, Outgoing, enqueue_to_coordinators, enqueue_to_department
from services.runtime import Runtime
from services.sql import insert_ignore
from services.timefmt import fmt_datetime
from services.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from services.bulletin.files import BulletinFiles

MAX_REQUIREMENT = 500


class BadText(Refusal):
    """A typed 工作要求 or 修改意见 that cannot be taken: the person is asked again."""


# Who receives the issued 通报 as its own group: not the office itself or the leading group.
_NOT_AUDIENCE = {DepartmentKind.COORDINATOR.value, DepartmentKind.LEADING_GROUP.value}


def sign_by_after(day: date, spec: BulletinSpec, cal: WorkdayCalendar, tz: ZoneInfo) -> datetime:
    """The deadline: `sign_by` o'clock on the workday after `day` (UTC)."""
    nxt = cal.next_workday(day, include=False)
    return datetime.combine(nxt, spec.sign_by, tzinfo=tz).astimezone(UTC)


def audience_text(spec: BulletinSpec) -> str:
    names = ["各协调员"]
    if spec.include_leading_group or "leaders" in spec.audience:
        names.append("领导小组")
    if "departments" in spec.audience:
        names.append("各部门工作群")
    return "、".join(names)


def draft_text(run: BulletinRun, spec: BulletinSpec, tz: ZoneInfo) -> str:
    """The message under a draft: what each button does and until when."""
    period = MonthPeriod.parse(run.period)
    assert run.sign_by is not None
    late = (
        "逾期未签发将按未签发稿发送（不编号）。"
        if spec.unsigned == "send"
        else "逾期未签发将再次提醒。"
    )
    draft_no = f"第{run.revision + 1}稿" if run.revision else "送审稿"
    return (
        f"以上为{period.label}通报{draft_no}（未编号）。请审核：\n"
        f"· 签发：编号后发送至{audience_text(spec)}\n"
        "· 修改意见：转送各协调员\n"
        "· 补充工作要求：写入通报“下步工作要求”，重新生成送审稿\n"
        f"请于{fmt_datetime(run.sign_by, tz, weekday=True)}前签发；{late}"
    )


def draft_buttons(run: BulletinRun) -> list[list[Button]]:
    return [
        [Button("签发", BULLETIN.encode(BulletinAction.SIGN, run.id, run.revision))],
        [
            Button("修改意见", BULLETIN.encode(BulletinAction.COMMENT, run.id)),
            Button("补充工作要求", BULLETIN.encode(BulletinAction.REQUIRE, run.id)),
        ],
    ]


def _documents(files: BulletinFiles, note: str = "") -> list[tuple[str, Outgoing]]:
    parts = [("summary", Outgoing(text=files.summary))]
    parts += [
        (
            name.rsplit(".", 1)[-1],
            Outgoing(
                kind=OutboxKind.DOCUMENT,
                document=data,
                document_name=name,
                text=caption + note,
                parse_mode=None,
            ),
        )
        for name, data, caption in files.documents()
    ]
    return parts


async def enqueue_draft(
    session: AsyncSession,
    run: BulletinRun,
    files: BulletinFiles,
    spec: BulletinSpec,
    tz: ZoneInfo,
    now: datetime,
) -> int:
    """The draft (summary, files, then the buttons) to every coordinator; returns recipients."""
    key = f"bulletin:{run.period}:draft:{run.revision}"
    parts = _documents(files, "（送审稿）")
    parts.append(("control", Outgoing(text=draft_text(run, spec, tz), buttons=draft_buttons(run))))
    recipients = 0
    for part, message in parts:
        ids = await enqueue_to_coordinators(session, message, now=now, dedupe_key=f"{key}:{part}")
        recipients = max(recipients, len(ids))
    return recipients


async def enqueue_issued(
    session: AsyncSession,
    period: str,
    files: BulletinFiles,
    spec: BulletinSpec,
    now: datetime,
    note: str = "",
) -> int:
    """The issued 通报 to its audience; returns how many chats received it."""
    key = f"bulletin:{period}:issued"
    leaders = spec.include_leading_group or "leaders" in spec.audience
    recipients = 0
    for part, message in _documents(files, note):
        ids = await enqueue_to_coordinators(
            session, message, now=now, dedupe_key=f"{key}:{part}", include_leading_group=leaders
        )
        recipients = max(recipients, len(ids))
    if "departments" in spec.audience:
        depts = await session.scalars(
            select(Department.id)
            .where(Department.active, Department.kind.not_in(_NOT_AUDIENCE))
            .order_by(Department.id)
        )
        for dept_id in depts:
            # The summary and the Word document: the ledger and chart stay with the office.
            for part, message in _documents(files, note)[:2]:
                await enqueue_to_department(
                    session,
                    message,
                    department_id=dept_id,
                    now=now,
                    dedupe_key=f"{key}:d{dept_id}:{part}",
                )
            recipients += 1
    return recipients


async def claim(
    session: AsyncSession,
    period: MonthPeriod,
    due: datetime,
    status: BulletinRunStatus,
    now: datetime,
) -> int | None:
    """Insert the month's occurrence row; None when it already exists (sent or missed)."""
    values = {
        "period": period.key,
        "due_at": due,
        "status": status,
        "recorded_at": now,
        "recipients": 0,
    }
    return await insert_ignore(session, BulletinRun, values, ["period"])


async def _run(session: AsyncSession, run_id: int) -> BulletinRun:
    run = await session.get(BulletinRun, run_id)
    if run is None:
        raise Refusal("该通报送审稿已不存在。")
    return run


def _settled(run: BulletinRun) -> Refusal:
    if run.status == BulletinRunStatus.SIGNED:
        return Refusal(
            f"{MonthPeriod.parse(run.period).label}通报已签发（{run.number_text}），无需再次操作。"
        )
    if run.status == BulletinRunStatus.RELEASED:
        return Refusal(f"{MonthPeriod.parse(run.period).label}通报已按未签发稿发送，无法再签发。")
    return Refusal("该通报不在待签发状态。")


async def open_draft(session: AsyncSession, run_id: int) -> BulletinRun:
    """The run a 修改意见 / 补充工作要求 press names, refused once it is no longer a draft."""
    run = await _run(session, run_id)
    if run.status != BulletinRunStatus.DRAFT:
        raise _settled(run)
    return run


async def _render(
    rt: Runtime, period: MonthPeriod, now: datetime, *, number: str | None, requirements: str
) -> BulletinFiles:
    bulletin = await compute(rt, period, now, number=number, requirements=requirements)
    return await render(rt, bulletin)


async def start_draft(rt: Runtime, period: MonthPeriod, due: datetime, now: datetime) -> bool:
    """The month's first draft to the coordinators; False when the month already has its row."""
    spec = rt.org.bulletin
    files = await _render(rt, period, now, number=None, requirements="")
    async with rt.transaction() as session:
        run_id = await claim(session, period, due, BulletinRunStatus.DRAFT, now)
        if run_id is None:
            return False
        run = await _run(session, run_id)
        run.sign_by = sign_by_after(now.astimezone(rt.tz).date(), spec, rt.calendar, rt.tz)
        run.recipients = await enqueue_draft(session, run, files, spec, rt.tz, now)
    return True


async def add_requirements(
    rt: Runtime, run_id: int, person: PersonInfo, text: str, now: datetime
) -> int:
    """Append a paragraph of 工作要求, send the regenerated draft; returns its draft number."""
    text = " ".join(text.split())
    if not text:
        raise BadText("工作要求不能为空，请输入一段文字。")
    if len(text) > MAX_REQUIREMENT:
        raise BadText(f"工作要求过长（{len(text)}字），请控制在{MAX_REQUIREMENT}字以内后重新发送。")
    async with rt.transaction() as session:
        run = await open_draft(session, run_id)
        revision, period = run.revision, MonthPeriod.parse(run.period)
        requirements = "\n".join(p for p in (run.requirements, text) if p)
    files = await _render(rt, period, now, number=None, requirements=requirements)
    async with rt.transaction() as session:
        changed = await session.execute(
            update(BulletinRun)
            .where(
                BulletinRun.id == run_id,
                BulletinRun.status == BulletinRunStatus.DRAFT,
                BulletinRun.revision == revision,
            )
            .values(requirements=requirements, revision=revision + 1)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise Refusal("送审稿刚刚已被更新或签发，请在最新送审稿下操作。")
        run = await _run(session, run_id)
        await session.refresh(run)
        await enqueue_draft(session, run, files, rt.org.bulletin, rt.tz, now)
    return revision + 2


async def comment(
    rt: Runtime, run_id: int, person: PersonInfo, text: str, now: datetime, message_id: int
) -> None:
    """Forward a 修改意见 to every coordinator (the draft stays as it is)."""
    text = text.strip()
    if not text:
        raise BadText("修改意见不能为空，请输入文字。")
    async with rt.transaction() as session:
        run = await open_draft(session, run_id)
        label = MonthPeriod.parse(run.period).label
        await enqueue_to_coordinators(
            session,
            Outgoing(
                text=f"【通报修改意见】{escape(person.display_name)}对{label}通报送审稿提出：\n{escape(text)}"
            ),
            now=now,
            dedupe_key=f"bulletin:{run.period}:comment:{person.telegram_user_id}:{message_id}",
        )


async def sign(rt: Runtime, run_id: int, revision: int, person: PersonInfo, now: datetime) -> str:
    """签发: number the 通报, send it to its audience; returns the 发文字号."""
    spec = rt.org.bulletin
    year = now.astimezone(rt.tz).year
    pattern = number_pattern(rt.org)
    async with rt.transaction() as session:
        run = await open_draft(session, run_id)
        if run.revision != revision:
            raise Refusal("这不是最新的送审稿，请在最新送审稿下点击“签发”。")
        period, requirements = MonthPeriod.parse(run.period), run.requirements
        expected = await peek_number(session, year)
    files = await _render(
        rt, period, now, number=pattern.format(year=year, n=expected), requirements=requirements
    )
    async with rt.transaction() as session:
        changed = await session.execute(
            update(BulletinRun)
            .where(
                BulletinRun.id == run_id,
                BulletinRun.status == BulletinRunStatus.DRAFT,
                BulletinRun.revision == revision,
            )
            .values(
                status=BulletinRunStatus.SIGNED, signed_by=person.telegram_user_id, signed_at=now
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            run = await _run(session, run_id)
            await session.refresh(run)
            raise (
                _settled(run)
                if run.status != BulletinRunStatus.DRAFT
                else Refusal("送审稿刚刚已被更新，请在最新送审稿下点击“签发”。")
            )
        n = await take_number(session, year)
        number = pattern.format(year=year, n=n)
        if n != expected:  # another 签发 took the number in between: render with ours
            files = await _render(rt, period, now, number=number, requirements=requirements)
        run = await _run(session, run_id)
        await session.refresh(run)
        run.number_year, run.number, run.number_text = year, n, number
        run.recipients = await enqueue_issued(session, run.period, files, spec, now)
        await enqueue_to_coordinators(
            session,
            Outgoing(
                text=f"{period.label}通报已由{escape(person.display_name)}签发（{number}），"
                f"已发送至{audience_text(spec)}。"
            ),
            now=now,
            dedupe_key=f"bulletin:{run.period}:signed",
        )
    return number


async def settle_deadlines(rt: Runtime, now: datetime) -> list[str]:
    """Drafts past `sign_by`: sent unsigned, or the coordinators reminded again (as configured)."""
    spec = rt.org.bulletin
    async with rt.transaction() as session:
        due = (
            await session.execute(
                select(
                    BulletinRun.id,
                    BulletinRun.period,
                    BulletinRun.revision,
                    BulletinRun.sign_by,
                    BulletinRun.requirements,
                )
                .where(BulletinRun.status == BulletinRunStatus.DRAFT, BulletinRun.sign_by <= now)
                .order_by(BulletinRun.period)
            )
        ).all()
    acted = []
    for run_id, period_key, revision, deadline, requirements in due:
        period = MonthPeriod.parse(period_key)
        if spec.unsigned == "send":
            files = await _render(rt, period, now, number=None, requirements=requirements)
            async with rt.transaction() as session:
                changed = await session.execute(
                    update(BulletinRun)
                    .where(
                        BulletinRun.id == run_id,
                        BulletinRun.status == BulletinRunStatus.DRAFT,
                        BulletinRun.revision == revision,
                    )
                    .values(status=BulletinRunStatus.RELEASED)
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                await enqueue_issued(session, period_key, files, spec, now, "（未经签发）")
                await enqueue_to_coordinators(
                    session,
                    Outgoing(
                        text=f"{period.label}通报未在{fmt_datetime(deadline, rt.tz, weekday=True)}前签发，"
                        f"已按未签发稿（未编号）发送至{audience_text(spec)}。"
                    ),
                    now=now,
                    dedupe_key=f"bulletin:{period_key}:released",
                )
        else:
            nxt = sign_by_after(now.astimezone(rt.tz).date(), spec, rt.calendar, rt.tz)
            async with rt.transaction() as session:
                changed = await session.execute(
                    update(BulletinRun)
                    .where(
                        BulletinRun.id == run_id,
                        BulletinRun.status == BulletinRunStatus.DRAFT,
                        BulletinRun.sign_by == deadline,
                    )
                    .values(sign_by=nxt, reminders=BulletinRun.reminders + 1)
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                run = await _run(session, run_id)
                await session.refresh(run)
                await enqueue_to_coordinators(
                    session,
                    Outgoing(
                        text=f"【提醒】{period.label}通报送审稿尚未签发，请于"
                        f"{fmt_datetime(nxt, rt.tz, weekday=True)}前签发。",
                        buttons=draft_buttons(run),
                    ),
                    now=now,
                    dedupe_key=f"bulletin:{period_key}:remind:{run.reminders}",
                )
        acted.append(period_key)
    return acted
