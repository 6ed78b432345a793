"""What reminder messages say (Simplified Chinese, HTML-escaped office text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from html import escape

from models.reminder_rules import ReminderKind
from models.schedule import LeadTime, LeadUnit
from services.reminder_config import CompiledRule
from services.schedule_rules import period_label
from services.timefmt import fmt_date

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
