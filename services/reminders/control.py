"""Coordinators steer the reminders: pause and resume a rule, or send a reminder now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import PersonInfo
from models.orgfile import OrgFile
from models.reminders import SendKind, SendStatus
from services.errors import Refusal
from services.reminders.ledger import OccurrenceRef, occurrence_row, record_send
from services.reminders.occurrences import current_occurrence
from services.reminders.rules import CompiledRule, departments, find_rule, rule_states, targets
from services.reminders.texts import Due, reminder_text
from services.reminders.tick import deliver
from services.workdays import WorkdayCalendar


async def set_paused(
    session: AsyncSession,
    org: OrgFile,
    rule_text: str,
    actor: PersonInfo,
    now: datetime,
    *,
    pause: bool,
) -> CompiledRule:
    """Pause or resume a rule; reminders due while paused are neither sent nor listed as missed."""
    rule = find_rule(org, rule_text)
    state = (await rule_states(session, [rule], now))[0][rule.key]
    if pause:
        if state.paused_at is not None:
            raise Refusal(
                f"提醒规则“{rule.name}”已处于暂停状态。恢复请发送 /reminder_resume {rule.key}。"
            )
        state.paused_at, state.paused_by = now, actor.id
    else:
        if state.paused_at is None:
            raise Refusal(f"提醒规则“{rule.name}”未暂停，无需恢复。")
        state.paused_at, state.paused_by = None, None
        state.active_since = state.checked_until = now
    await session.flush()
    return rule


@dataclass(frozen=True)
class ManualSend:
    """What /remind_now sent."""

    rule: CompiledRule
    period: str
    departments: list[str]


async def remind_now(
    session: AsyncSession,
    org: OrgFile,
    cal: WorkdayCalendar,
    tz: ZoneInfo,
    now: datetime,
    *,
    actor: PersonInfo,
    rule_text: str,
    department_text: str | None = None,
) -> ManualSend:
    """Send the current period's reminder now; recorded, and the scheduled one still goes out."""
    rule = find_rule(org, rule_text)
    occ = current_occurrence(rule, cal, tz, now)
    if occ is None:
        raise Refusal(f"提醒规则“{rule.name}”已没有后续日期，无法发送。")
    chosen = targets(org, rule, await departments(session))
    if department_text:
        wanted = department_text.strip()
        chosen = [d for d in chosen if wanted in (d.key, d.name)]
        if not chosen:
            raise Refusal(f"提醒规则“{rule.name}”不涉及部门“{wanted}”。")
    stamp = int(now.timestamp())
    for dept in chosen:
        ref = OccurrenceRef(rule.key, dept.id, occ.period, occ.due_date, occ.due_at)
        row = await occurrence_row(session, ref, now)
        send = await record_send(
            session,
            key=f"{rule.key}:{dept.key}:{occ.period}:manual:{stamp}:{actor.id}",
            occurrence=row,
            kind=SendKind.MANUAL,
            lead=None,
            fire_at=now,
            status=SendStatus.SENT,
            now=now,
            sent_by=actor.id,
        )
        if send is None:
            continue
        text = reminder_text(
            rule,
            department=dept.name,
            period=occ.period,
            due=Due(occ.due_date, rule.schedule.at),
            lead=None,
            manual=True,
        )
        await deliver(session, rule, dept, row, send, text, now)
    return ManualSend(rule=rule, period=occ.period, departments=[d.name for d in chosen])
