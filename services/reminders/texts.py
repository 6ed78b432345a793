"""What reminder messages say (Simplified Chinese, HTML-escaped office text): the reminder, the
notes under it once a meeting is settled, and the notices to the coordinators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape
from zoneinfo import ZoneInfo

from models.reminder_rules import ReminderKind
from models.schedule import LeadTime, LeadUnit
from services.reminders.rules import CompiledRule
from services.schedule_rules import period_label
from services.timefmt import fmt_date, fmt_datetime

DATE_LABEL = {
    ReminderKind.MEETING: "时间",
    ReminderKind.TASK: "日期",
    ReminderKind.DEADLINE: "截止",
}
MEETING_HINT = "会议召开后，请点击“已召开”登记召开日期；如需改期，请点击“改期”。"


@dataclass(frozen=True)
class Due:
    """When an occurrence is due: its local date, and its clock time if the rule has one."""

    day: date
    at: time | None


def fmt_due(due: Due) -> str:
    """2026年12月1日（周二）09:00, or the date alone."""
    text = fmt_date(due.day)
    return f"{text} {due.at:%H:%M}" if due.at is not None else text


def lead_note(lead: LeadTime | None) -> str:
    """How far away the due date is, as the reminder is sent."""
    if lead is None:
        return ""
    if lead.unit is LeadUnit.WORKDAYS:
        return f"（还有{lead.amount}个工作日）"
    if lead.unit is LeadUnit.HOURS:
        return f"（还有{lead.amount}小时）"
    return "（今天）" if lead.amount == 0 else f"（还有{lead.amount}天）"


def fill_template(rule: CompiledRule, department: str, period: str, due: Due) -> str:
    """The office's text with {period}, {department}, {date} and {time} filled in."""
    return rule.spec.text.format(
        period=period_label(period),
        department=department,
        date=fmt_date(due.day),
        time=f"{due.at:%H:%M}" if due.at is not None else "",
    )


def reminder_text(
    rule: CompiledRule,
    *,
    department: str,
    period: str,
    due: Due,
    lead: LeadTime | None,
    postponed_from: Due | None = None,
    manual: bool = False,
) -> str:
    """The reminder a department group receives."""
    head = "【改期提醒】" if postponed_from is not None else "【工作提醒】"
    lines = [
        f"{head}{escape(rule.name)}",
        f"部门：{escape(department)}",
        f"周期：{period_label(period)}",
        escape(fill_template(rule, department, period, due)),
    ]
    if postponed_from is not None:
        lines.append(f"原定：{fmt_due(postponed_from)}")
        lines.append(f"改期至：{fmt_due(due)}（今天）")
    else:
        lines.append(f"{DATE_LABEL[rule.kind]}：{fmt_due(due)}{lead_note(lead)}")
    if rule.kind is ReminderKind.MEETING:
        lines.append(MEETING_HINT)
    if manual:
        lines.append("（协调员即时发送）")
    return "\n".join(lines)


def held_line(held_on: date, by: str) -> str:
    return f"✅ 已于{fmt_date(held_on)}召开（登记：{escape(by)}）"


def postponed_line(new_due: Due, by: str) -> str:
    return f"⏸ 已改期至{fmt_due(new_due)}，届时将再次提醒（登记：{escape(by)}）"


@dataclass(frozen=True)
class MissedReminder:
    """A reminder found too late to send (listed to the coordinators)."""

    rule_name: str
    department: str
    period: str
    fire_at: datetime


def missed_text(missed: list[MissedReminder], tz: ZoneInfo) -> str:
    """The list of reminders not sent because the bot was down too long."""
    lines = ["【提醒未发送】以下提醒因系统停机，已超过补发时限，未再发送："]
    for m in missed[:40]:
        lines.append(
            f"· {escape(m.department)} · {escape(m.rule_name)}（{period_label(m.period)}），"
            f"应于{fmt_datetime(m.fire_at, tz)}发送"
        )
    if len(missed) > 40:
        lines.append(f"……另有{len(missed) - 40}条。")
    lines.append("如仍需发送，请使用 /remind_now 规则代码。")
    return "\n".join(lines)


def missing_year_text(year: int) -> str:
    return (
        f"【日历提醒】尚未录入{year}年的法定节假日和调休安排。录入前，{year}年的提醒和截止日"
        "按周一至周五计算工作日，节假日和调休上班日不会被考虑。\n"
        "请在国务院办公厅发布放假安排后，将放假日期和调休上班日期填入组织配置文件的 calendar 部分"
        "（写法见 org.example.yaml），然后重启机器人。"
    )
