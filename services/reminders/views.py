"""/reminders for the coordinators: every rule, its next occurrence, and its departments (an
unbound one marked, a postponed or held meeting noted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.enums import DepartmentKind
from models.orgfile import OrgFile
from models.reminders import OccurrenceStatus, ReminderOccurrence
from services.reminders.occurrences import next_occurrence_of
from services.reminders.rules import departments, leads_text, rule_states, rules_of, targets
from services.reminders.texts import Due, fmt_due
from services.schedule_rules import describe_schedule, period_label
from services.textsplit import pack
from services.timefmt import fmt_date, fmt_datetime
from services.workdays import WorkdayCalendar


@dataclass(frozen=True)
class DeptLine:
    """One department of a rule in /reminders."""

    name: str
    key: str
    bound: bool
    note: str | None


@dataclass(frozen=True)
class RuleOverview:
    """One rule in /reminders: when, the next occurrence, its departments."""

    key: str
    name: str
    when: str
    leads: str
    paused: bool
    next_period: str | None
    next_due: Due | None
    next_fires: list[datetime]
    departments: list[DeptLine]


async def overview(
    session: AsyncSession, org: OrgFile, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime
) -> list[RuleOverview]:
    """Every rule with its next occurrence and, per department, anything recorded against it."""
    rules = rules_of(org)
    states, _ = await rule_states(session, rules, now)
    depts = await departments(session)
    reachable = set(
        await session.scalars(
            select(BoundChat.department_id).where(
                BoundChat.unbound_at.is_(None), BoundChat.unreachable_at.is_(None)
            )
        )
    )
    result = []
    for rule in rules:
        occ = next_occurrence_of(rule, cal, tz, now)
        lines = []
        for dept in targets(org, rule, depts):
            latest = await session.scalar(
                select(ReminderOccurrence)
                .where(
                    ReminderOccurrence.rule_key == rule.key,
                    ReminderOccurrence.department_id == dept.id,
                )
                .order_by(ReminderOccurrence.due_at.desc())
                .limit(1)
            )
            note = None
            if latest is not None and latest.status == OccurrenceStatus.POSTPONED:
                assert latest.postponed_to is not None
                note = (
                    f"{period_label(latest.period)}已改期至{fmt_datetime(latest.postponed_to, tz)}"
                )
            elif latest is not None and latest.held_on is not None:
                note = (
                    f"{period_label(latest.period)}已于{fmt_date(latest.held_on, year=False)}召开"
                )
            bound = dept.id in reachable or dept.kind == DepartmentKind.COORDINATOR
            lines.append(DeptLine(dept.name, dept.key, bound, note))
        result.append(
            RuleOverview(
                key=rule.key,
                name=rule.name,
                when=describe_schedule(rule.schedule),
                leads=leads_text(rule.leads),
                paused=states[rule.key].paused_at is not None,
                next_period=occ.period if occ else None,
                next_due=Due(occ.due_date, rule.schedule.at) if occ else None,
                next_fires=[f.fire_at for f in occ.fires if f.fire_at >= now] if occ else [],
                departments=lines,
            )
        )
    return result


def overview_text(rules: list[RuleOverview], tz: ZoneInfo, missing_years: list[int]) -> list[str]:
    """/reminders as one or more messages (each under Telegram's 4096 characters)."""
    blocks = []
    for r in rules:
        lines = [f"【{escape(r.name)}】{'⏸ 已暂停' if r.paused else ''}", f"代码：{r.key}"]
        lines.append(f"时间：{r.when}")
        if r.leads != "当天":
            lines.append(f"提醒：{r.leads}")
        if r.next_due is not None and r.next_period is not None:
            fires = "、".join(fmt_datetime(f, tz) for f in r.next_fires)
            lines.append(f"下次：{fmt_due(r.next_due)}（{period_label(r.next_period)}）")
            if fires and r.leads != "当天":
                lines.append(f"下次提醒：{fires}")
        else:
            lines.append("下次：无（已过期）")
        for d in r.departments:
            mark = "" if d.bound else " ⚠️ 未绑定工作群，提醒转送协调员"
            note = f"（{d.note}）" if d.note else ""
            lines.append(f"· {escape(d.name)}{note}{mark}")
        blocks.append("\n".join(lines))
    head = f"提醒规则（共{len(rules)}条）："
    if missing_years:
        years = "、".join(f"{y}年" for y in missing_years)
        head += f"\n⚠️ 尚未录入{years}的节假日安排，暂按周一至周五计算。"
    if not rules:
        return [head + "\n组织配置文件中尚未设置提醒规则（reminders）。"]
    return pack([head, *blocks], 3800, sep="\n\n")
