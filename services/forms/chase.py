"""Chasing the monthly reports, as a source of the occurrence engine (services/reminders/engine.py):
before a form's deadline, its departments that have not submitted are reminded at the form's
reminder moments (`remind:` in the forms file); in the three days after it, the coordinators
get one list of who is late.

Catch-up: a reminder moment stays within its grace until the deadline, so after downtime only
the latest passed moment goes out (one reminder, not a burst) and none once the deadline is
over; the late list stays within its grace for three days. Each moment of a form and month is
recorded once in report_chase_marks (the moment, or "late"); each message also carries an
outbox dedupe key. The departments still owing are found when the moment is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.forms import FormSpec
from models.org import Department
from models.period import MonthPeriod
from models.reports import ReportChaseMark, ReportSubmission, SubmissionStatus
from models.schedule import LeadTime, Occurrence
from services.forms.deadlines import ReportConfig, config_of, deadline_of, due_date
from services.forms.submissions import departments_filling, open_button
from services.outbox import Outgoing, enqueue_to_coordinators, enqueue_to_department
from services.reminders import engine
from services.reminders.engine import Decision, Due, Slot
from services.runtime import Runtime
from services.sql import insert_ignore
from services.textsplit import esc
from services.timefmt import fmt_date

LATE_LIST_WINDOW = timedelta(days=3)
# Grace ends just before the deadline: a reminder found at the deadline is no longer sent.
_BEFORE = timedelta(microseconds=1)
LATE = "late"  # the moment of the late list


@dataclass(frozen=True)
class Moment:
    """A chasing moment of one form and month: a reminder (its lead time), or the late list."""

    form: FormSpec
    month: MonthPeriod
    occ: Occurrence
    moment: str  # the reminder's fire time (ISO), or "late"
    lead: LeadTime | None = None


def _key(form_key: str, period: str, moment: str) -> str:
    return f"{form_key}:{period}:{moment}"


def due_moments(cfg: ReportConfig, now: datetime) -> list[Due[Moment]]:
    """The chasing moments that have come (pure), for last month and this one."""
    found: list[Due[Moment]] = []
    today = cfg.today(now)
    for form in cfg.forms.forms:
        if not form.required:
            continue
        for month in (MonthPeriod.of(today).previous(), MonthPeriod.of(today)):
            occ = deadline_of(cfg, form, month)
            if now < occ.due_at:
                for fire in occ.fires:
                    if fire.fire_at > now:
                        continue
                    moment = fire.fire_at.isoformat()
                    found.append(
                        Due(
                            key=_key(form.key, month.key, moment),
                            group=(form.key, month.key, "remind"),
                            fire_at=fire.fire_at,
                            grace_until=occ.due_at - _BEFORE,
                            item=Moment(form, month, occ, moment, fire.lead),
                        )
                    )
            if occ.due_at <= now < occ.due_at + LATE_LIST_WINDOW:
                found.append(
                    Due(
                        key=_key(form.key, month.key, LATE),
                        group=(form.key, month.key, LATE),
                        fire_at=occ.due_at,
                        grace_until=occ.due_at + LATE_LIST_WINDOW - _BEFORE,
                        item=Moment(form, month, occ, LATE),
                    )
                )
    return found


class ReportChase(engine.Source[Moment, None, ReportChaseMark]):
    """The forms file's chasing moments, recorded in report_chase_marks."""

    def __init__(self, cfg: ReportConfig) -> None:
        self.cfg = cfg
        self.queued = 0  # messages written to the outbox this round
        self.late: dict[tuple[str, datetime], list[tuple[FormSpec, list[Department]]]] = {}

    async def due(self, session: AsyncSession, now: datetime) -> list[Due[Moment]]:
        return due_moments(self.cfg, now)

    async def recorded(self, session: AsyncSession, keys: Sequence[str]) -> set[str]:
        periods = {key.split(":")[1] for key in keys}
        rows = await session.execute(
            select(ReportChaseMark.form_key, ReportChaseMark.period, ReportChaseMark.moment).where(
                ReportChaseMark.period.in_(periods)
            )
        )
        return {_key(*row) for row in rows.tuples()}

    async def open(
        self, session: AsyncSession, group: Sequence[Due[Moment]], now: datetime
    ) -> Slot[None]:
        return Slot(None)  # a form's month has no state of its own: the submissions are it

    async def record(
        self, session: AsyncSession, slot: Slot[None], decision: Decision[Moment], now: datetime
    ) -> ReportChaseMark | None:
        item = decision.due.item
        values = {
            "form_key": item.form.key,
            "period": item.month.key,
            "moment": item.moment,
            "handled_at": now,
            "queued": 0,
        }
        mark_id = await insert_ignore(
            session, ReportChaseMark, values, ["form_key", "period", "moment"]
        )
        return await session.get(ReportChaseMark, mark_id) if mark_id is not None else None

    async def send(
        self,
        session: AsyncSession,
        slot: Slot[None],
        decision: Decision[Moment],
        record: ReportChaseMark,
        now: datetime,
    ) -> None:
        item = decision.due.item
        pending = await _pending(session, item.form, item.month)
        if item.lead is None:
            if pending:
                self.late.setdefault((item.month.key, item.occ.due_at), []).append(
                    (item.form, pending)
                )
            return
        count = 0
        for dept in pending:
            count += await _remind(session, self.cfg, item, dept, item.lead, now)
        record.queued = count
        self.queued += count

    async def finish(
        self, session: AsyncSession, decisions: Sequence[Decision[Moment]], now: datetime
    ) -> None:
        for (period, due_at), entries in self.late.items():
            month = MonthPeriod.parse(period)
            lines = [
                f"【月报逾期】{month.label}月报已于{fmt_date(due_date(self.cfg, due_at))}截止，"
                "以下部门尚未提交："
            ]
            for form, depts in entries:
                names = "、".join(esc(d.name) for d in depts)
                lines.append(f"· 《{esc(form.title)}》：{names}")
            lines.append("发送 /status 查看报送情况；如允许补报，请发送 /unlock 部门 报表 解锁。")
            ids = await enqueue_to_coordinators(
                session,
                Outgoing(text="\n".join(lines)),
                now=now,
                dedupe_key=f"report:late:{period}:{due_at:%Y%m%d%H%M}",
            )
            self.queued += len(ids)
        await session.flush()


async def chase(session: AsyncSession, cfg: ReportConfig, now: datetime) -> int:
    """Remind departments without a submission before the deadline; list late ones after it.
    Returns the number of messages queued."""
    source = ReportChase(cfg)
    await engine.run(session, source, now)
    return source.queued


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
    return [d for d in await departments_filling(session, form) if d.id not in submitted]


async def _remind(
    session: AsyncSession,
    cfg: ReportConfig,
    item: Moment,
    dept: Department,
    lead: LeadTime,
    now: datetime,
) -> int:
    form, month, occ = item.form, item.month, item.occ
    on_the_day = lead.amount == 0
    when = "今天" if on_the_day else fmt_date(occ.due_date)
    text = (
        f"【月报提醒】{esc(dept.name)}：{month.label}《{esc(form.title)}》尚未提交，"
        f"截止时间为{when}{'（' + fmt_date(occ.due_date) + '）' if on_the_day else ''}。"
        "请部门成员点击下方按钮，或私聊本机器人发送 /report 填写。"
    )
    row_id = await enqueue_to_department(
        session,
        Outgoing(text=text, buttons=[[open_button(form, month)]]),
        department_id=dept.id,
        now=now,
        dedupe_key=f"report:remind:{form.key}:{month.key}:{dept.key}:{lead.amount}{lead.unit}",
    )
    return 1 if row_id is not None else 0


async def chase_step(rt: Runtime, now: datetime) -> int:
    """Scheduler step: the chasing reminders and the late list, in one transaction."""
    async with rt.transaction() as session:
        return await chase(session, config_of(rt), now)
