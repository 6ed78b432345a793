"""The office's calendar of reminders: each occurrence goes out once, late ones are caught up
within their grace window, meetings are confirmed, and coordinators steer it.

The tick (`run_reminders`) looks at every rule from its last check up to `now`, so a restart
or an outage only shifts work to the next tick; unique keys on `reminder_sends` make every
planned message happen at most once, whatever runs twice.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.dto import PersonInfo
from models.enums import DepartmentKind
from models.org import Department
from models.orgfile import OrgFile
from models.outbox import OutboxMessage
from models.people import Person
from models.reminder_rules import ReminderKind
from models.reminders import (
    HeldMeeting,
    OccurrenceStatus,
    ReminderNotice,
    ReminderOccurrence,
    ReminderRuleState,
    ReminderSend,
    SendKind,
    SendStatus,
)
from models.schedule import Fire, LeadTime, Occurrence, ScheduleSpec
from services.errors import Refusal
from services.outbox import (
    Button,
    Outgoing,
    department_chat,
    enqueue,
    enqueue_to_coordinators,
    enqueue_to_department,
)
from services.reminder_config import CompiledRule, lead_code, leads_text, rules_of, target_keys
from services.reminder_texts import (
    Due,
    fmt_due,
    held_line,
    postponed_line,
    reminder_text,
)
from services.runtime import Runtime
from services.schedule_rules import (
    DEFAULT_FIRE_TIME,
    ScheduleParseError,
    describe_schedule,
    frequency,
    occurrences,
    period_label,
    split_clock_time,
)
from services.timefmt import fmt_date, fmt_datetime
from services.workdays import WorkdayCalendar

# A tick is one transaction, so the last check is exact; look a minute behind it anyway, for
# clocks of two processes that differ slightly (unique keys absorb the overlap).
LOOKBACK_SAFETY = timedelta(minutes=1)
# How often the last check is written down and the one-time notices (missing calendar year,
# unbound department) are looked for. Between two writes a tick only reads: fires since the
# last write are looked at again and recognised by their unique keys.
CHECK_EVERY = timedelta(hours=1)
# Warn about a missing year's holiday calendar this long before the year starts (the State
# Council usually publishes it in November; January reminders need it).
CALENDAR_WARNING_DAYS = 45
# How far back a held date and how far ahead a postponed date may be.
MEETING_DATE_RANGE = timedelta(days=92)
_CHUNK = 400


@dataclass(frozen=True)
class DeptRef:
    """A department as the reminders need it."""

    id: int
    key: str
    name: str
    kind: str


@dataclass(frozen=True)
class MissedReminder:
    """A reminder found too late to send (listed to the coordinators)."""

    rule_name: str
    department: str
    period: str
    fire_at: datetime


@dataclass
class TickReport:
    """What one tick did (tests read it; the bot only logs it)."""

    sent: list[str] = field(default_factory=list)  # send keys written to the outbox
    missed: list[MissedReminder] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


# -- small database helpers -------------------------------------------------------------------


async def _insert_ignore(
    session: AsyncSession, model: Any, values: dict[str, Any], conflict: list[str]
) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING; the new id, or None when the row already existed."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(model.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _departments(session: AsyncSession) -> dict[str, DeptRef]:
    rows = await session.scalars(select(Department).where(Department.active.is_(True)))
    return {r.key: DeptRef(r.id, r.key, r.name, r.kind) for r in rows}


def _targets(org: OrgFile, rule: CompiledRule, depts: dict[str, DeptRef]) -> list[DeptRef]:
    return [depts[k] for k in target_keys(org, rule.spec) if k in depts]


async def _rule_states(
    session: AsyncSession, rules: Sequence[CompiledRule], now: datetime
) -> tuple[dict[str, ReminderRuleState], bool]:
    """The state row of every rule (a rule seen for the first time starts counting now), and
    whether any row was created."""
    keys = [r.key for r in rules]
    rows = {r.key: r for r in await session.scalars(select(ReminderRuleState))}
    missing = [k for k in keys if k not in rows]
    for key in missing:
        values = {"key": key, "active_since": now, "checked_until": now}
        await _insert_ignore(session, ReminderRuleState, values, ["key"])
    if missing:
        rows = {r.key: r for r in await session.scalars(select(ReminderRuleState))}
    return rows, bool(missing)


async def _occurrence_row(
    session: AsyncSession, rule_key: str, dept: DeptRef, occ: Occurrence, now: datetime
) -> ReminderOccurrence:
    """Get or create the (rule, department, period) row."""
    values = {
        "rule_key": rule_key,
        "department_id": dept.id,
        "period": occ.period,
        "due_on": occ.due_date,
        "due_at": occ.due_at,
        "status": OccurrenceStatus.OPEN.value,
        "postpone_count": 0,
        "created_at": now,
    }
    await _insert_ignore(
        session, ReminderOccurrence, values, ["rule_key", "department_id", "period"]
    )
    row = await session.scalar(
        select(ReminderOccurrence).where(
            ReminderOccurrence.rule_key == rule_key,
            ReminderOccurrence.department_id == dept.id,
            ReminderOccurrence.period == occ.period,
        )
    )
    assert row is not None
    return row


async def _record(
    session: AsyncSession,
    *,
    key: str,
    occurrence: ReminderOccurrence,
    kind: SendKind,
    lead: LeadTime | None,
    fire_at: datetime,
    status: SendStatus,
    now: datetime,
    sent_by: int | None = None,
) -> ReminderSend | None:
    """Record one planned reminder; None if it was recorded before (then nothing more happens)."""
    values = {
        "send_key": key,
        "occurrence_id": occurrence.id,
        "kind": kind.value,
        "lead": lead_code(lead) if lead is not None else None,
        "fire_at": fire_at,
        "status": status.value,
        "sent_by": sent_by,
        "created_at": now,
    }
    send_id = await _insert_ignore(session, ReminderSend, values, ["send_key"])
    return await session.get(ReminderSend, send_id) if send_id is not None else None


async def _notice(session: AsyncSession, key: str, now: datetime) -> bool:
    """True the first time a notice key is seen (so each notice goes out once)."""
    seen = await session.scalar(select(ReminderNotice.id).where(ReminderNotice.key == key))
    if seen is not None:
        return False
    values = {"key": key, "created_at": now}
    return await _insert_ignore(session, ReminderNotice, values, ["key"]) is not None


def _meeting_buttons(rule: CompiledRule, occurrence_id: int) -> list[list[Button]]:
    if rule.kind is not ReminderKind.MEETING:
        return []
    return [
        [
            Button("已召开", f"rem:held:{occurrence_id}"),
            Button("改期", f"rem:post:{occurrence_id}"),
        ]
    ]


async def _deliver(
    session: AsyncSession,
    rule: CompiledRule,
    dept: DeptRef,
    occurrence: ReminderOccurrence,
    send: ReminderSend,
    text: str,
    now: datetime,
) -> None:
    """Write the reminder to the outbox: the department's group, else forwarded to coordinators."""
    message = Outgoing(text=text, buttons=_meeting_buttons(rule, occurrence.id))
    dedupe = f"rem:{send.send_key}"
    if dept.kind == DepartmentKind.COORDINATOR and await department_chat(session, dept.id) is None:
        # The office itself: its people are the coordinators, reached in private.
        await enqueue_to_coordinators(session, message, now=now, dedupe_key=dedupe)
        return
    send.outbox_id = await enqueue_to_department(
        session, message, department_id=dept.id, now=now, dedupe_key=dedupe
    )


# -- occurrences ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _occurrences_cached(
    schedule: ScheduleSpec,
    leads: tuple[LeadTime, ...],
    cal: WorkdayCalendar,
    tz: ZoneInfo,
    start: date,
    end: date,
) -> tuple[Occurrence, ...]:
    # Ticks every few seconds ask for the same window all day long: compute it once.
    return tuple(occurrences(schedule, cal, tz, start, end, leads))


def _due_fires(
    rule: CompiledRule, cal: WorkdayCalendar, tz: ZoneInfo, since: datetime, now: datetime
) -> list[tuple[Occurrence, Fire]]:
    """Every (occurrence, fire) of the rule with since <= fire_at <= now."""
    start = since.astimezone(tz).date() - timedelta(days=1)
    end = now.astimezone(tz).date() + rule.lead_span
    return [
        (occ, fire)
        for occ in _occurrences_cached(rule.schedule, rule.leads, cal, tz, start, end)
        for fire in occ.fires
        if since <= fire.fire_at <= now
    ]


def current_occurrence(
    rule: CompiledRule, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime
) -> Occurrence | None:
    """The occurrence of the period `now` is in (this month, week, year), else the next one."""
    today = now.astimezone(tz).date()
    found = _occurrences_cached(
        rule.schedule, rule.leads, cal, tz, today - timedelta(days=45), today + timedelta(days=400)
    )
    key = _period_key(rule.schedule, today)
    for occ in found:
        if occ.period == key:
            return occ
    return next((o for o in found if o.due_at >= now), None)


def next_occurrence_of(
    rule: CompiledRule, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime
) -> Occurrence | None:
    """The first occurrence whose reminders are not all in the past."""
    today = now.astimezone(tz).date()
    found = _occurrences_cached(
        rule.schedule, rule.leads, cal, tz, today - timedelta(days=1), today + timedelta(days=400)
    )
    return next((o for o in found if o.fires[-1].fire_at >= now or o.due_at >= now), None)


def _period_key(schedule: ScheduleSpec, day: date) -> str:
    kind = frequency(schedule).value
    if kind == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    if kind == "weekly":
        iso = day.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if kind == "yearly":
        return f"{day.year:04d}"
    return day.isoformat()


# -- the tick ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    rule: CompiledRule
    dept: DeptRef
    occ: Occurrence
    fire: Fire

    @property
    def key(self) -> str:
        return f"{self.rule.key}:{self.dept.key}:{self.occ.period}:{lead_code(self.fire.lead)}"


async def _existing_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        found.update(
            await session.scalars(
                select(ReminderSend.send_key).where(ReminderSend.send_key.in_(chunk))
            )
        )
    return found


async def run_reminders(
    session: AsyncSession, org: OrgFile, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime
) -> TickReport:
    """One tick: send what is due, record what is too late, then the one-time notices."""
    report = TickReport()
    rules = rules_of(org)
    states, created = await _rule_states(session, rules, now)
    active = [r for r in rules if states[r.key].paused_at is None]
    last_check = min((states[r.key].checked_until for r in active), default=now)
    refresh = created or now - last_check >= CHECK_EVERY

    due: list[tuple[CompiledRule, Occurrence, Fire]] = []
    for rule in active:
        state = states[rule.key]
        since = max(state.active_since, state.checked_until - LOOKBACK_SAFETY)
        due.extend((rule, occ, fire) for occ, fire in _due_fires(rule, cal, tz, since, now))
    if active and refresh:
        await session.execute(
            update(ReminderRuleState)
            .where(
                ReminderRuleState.key.in_([r.key for r in active]),
                ReminderRuleState.checked_until < now,
            )
            .values(checked_until=now)
            .execution_options(synchronize_session=False)
        )
    depts = await _departments(session) if due or refresh else {}
    planned = [
        _Planned(rule, dept, occ, fire)
        for rule, occ, fire in due
        for dept in _targets(org, rule, depts)
    ]
    done = await _existing_keys(session, [p.key for p in planned])
    groups: dict[tuple[str, str, str], list[_Planned]] = defaultdict(list)
    for p in planned:
        if p.key not in done:
            groups[(p.rule.key, p.dept.key, p.occ.period)].append(p)
    for items in groups.values():
        await _settle_group(session, sorted(items, key=lambda p: p.fire.fire_at), tz, now, report)

    await _postponed(session, org, states, now, tz, report)
    if report.missed:
        await enqueue_to_coordinators(
            session, Outgoing(text=missed_text(report.missed, tz)), now=now
        )
    if refresh:
        await _calendar_notices(session, cal, tz, now, report)
        await _unbound_notices(session, org, active, depts, now, report)
    return report


async def _settle_group(
    session: AsyncSession, items: list[_Planned], tz: ZoneInfo, now: datetime, report: TickReport
) -> None:
    """One department's due reminders for one occurrence: send the latest in grace, once."""
    first = items[0]
    rule, dept, occ = first.rule, first.dept, first.occ
    row = await _occurrence_row(session, rule.key, dept, occ, now)
    settled = row.status != OccurrenceStatus.OPEN
    in_grace = [p for p in items if now - p.fire.fire_at <= rule.grace]
    to_send = in_grace[-1] if in_grace and not settled else None
    for p in items:
        late = now - p.fire.fire_at > rule.grace
        if p is to_send:
            status = SendStatus.SENT
        elif late and not settled:
            status = SendStatus.MISSED
        else:
            # Superseded by a later lead in the same catch-up, or the meeting is settled.
            status = SendStatus.SKIPPED
        send = await _record(
            session,
            key=p.key,
            occurrence=row,
            kind=SendKind.SCHEDULED,
            lead=p.fire.lead,
            fire_at=p.fire.fire_at,
            status=status,
            now=now,
        )
        if send is None:
            continue
        if status is SendStatus.SENT:
            due = Due(occ.due_date, rule.schedule.at)
            text = reminder_text(
                rule, department=dept.name, period=occ.period, due=due, lead=p.fire.lead
            )
            await _deliver(session, rule, dept, row, send, text, now)
            report.sent.append(p.key)
        elif status is SendStatus.MISSED:
            report.missed.append(MissedReminder(rule.name, dept.name, occ.period, p.fire.fire_at))
        else:
            report.skipped.append(p.key)


async def _postponed(
    session: AsyncSession,
    org: OrgFile,
    states: dict[str, ReminderRuleState],
    now: datetime,
    tz: ZoneInfo,
    report: TickReport,
) -> None:
    """Remind again on the new date of each postponed meeting."""
    rules = {r.key: r for r in rules_of(org)}
    rows = list(
        await session.scalars(
            select(ReminderOccurrence).where(
                ReminderOccurrence.status == OccurrenceStatus.POSTPONED,
                ReminderOccurrence.postponed_to <= now,
            )
        )
    )
    if not rows:
        return
    by_id = {d.id: d for d in (await _departments(session)).values()}
    for row in rows:
        rule, dept = rules.get(row.rule_key), by_id.get(row.department_id)
        state = states.get(row.rule_key)
        if rule is None or dept is None or state is None or state.paused_at is not None:
            continue
        assert row.postponed_to is not None
        late = now - row.postponed_to > rule.grace
        key = f"{rule.key}:{dept.key}:{row.period}:post{row.postpone_count}"
        send = await _record(
            session,
            key=key,
            occurrence=row,
            kind=SendKind.POSTPONED,
            lead=None,
            fire_at=row.postponed_to,
            status=SendStatus.MISSED if late else SendStatus.SENT,
            now=now,
        )
        # Back to open: the new reminder carries the buttons again.
        row.status = OccurrenceStatus.OPEN.value
        if send is None:
            continue
        if late:
            report.missed.append(MissedReminder(rule.name, dept.name, row.period, row.postponed_to))
            continue
        local = row.postponed_to.astimezone(tz)
        text = reminder_text(
            rule,
            department=dept.name,
            period=row.period,
            due=Due(local.date(), local.time().replace(second=0, microsecond=0)),
            lead=None,
            postponed_from=Due(row.due_on, rule.schedule.at),
        )
        await _deliver(session, rule, dept, row, send, text, now)
        report.sent.append(key)


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


async def _calendar_notices(
    session: AsyncSession, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime, report: TickReport
) -> None:
    today = now.astimezone(tz).date()
    for year in cal.missing_years_between(today, today + timedelta(days=CALENDAR_WARNING_DAYS)):
        key = f"calendar-missing:{year}"
        if await _notice(session, key, now):
            await enqueue_to_coordinators(session, Outgoing(text=missing_year_text(year)), now=now)
            report.notices.append(key)


async def _unbound_notices(
    session: AsyncSession,
    org: OrgFile,
    rules: list[CompiledRule],
    depts: dict[str, DeptRef],
    now: datetime,
    report: TickReport,
) -> None:
    """Tell the coordinators once which reminded departments have no group to receive them."""
    reachable = set(
        await session.scalars(
            select(BoundChat.department_id).where(
                BoundChat.unbound_at.is_(None), BoundChat.unreachable_at.is_(None)
            )
        )
    )
    latest = dict(
        (dept_id, binding_id)
        for dept_id, binding_id in await session.execute(
            select(BoundChat.department_id, func.max(BoundChat.id)).group_by(
                BoundChat.department_id
            )
        )
    )
    unbound: dict[str, list[str]] = {}
    for rule in rules:
        for dept in _targets(org, rule, depts):
            if dept.id in reachable or dept.kind == DepartmentKind.COORDINATOR:
                continue
            unbound.setdefault(dept.key, []).append(rule.name)
    lines = []
    for key, names in unbound.items():
        dept = depts[key]
        # A later binding that is lost again gets its own notice.
        if await _notice(session, f"unbound:{key}:{latest.get(dept.id, 0)}", now):
            lines.append(f"· {escape(dept.name)}（{key}）：{escape('、'.join(names))}")
            report.notices.append(f"unbound:{key}")
    if lines:
        text = "\n".join(
            [
                "【提醒规则】以下部门尚未绑定可用的工作群，其提醒将转送协调员和领导小组：",
                *lines,
                "请将本机器人拉入该部门的工作群，由协调员在群内发送 /bind 部门代码。",
            ]
        )
        await enqueue_to_coordinators(session, Outgoing(text=text), now=now)


# -- coordinator control ----------------------------------------------------------------------


def find_rule(org: OrgFile, text: str) -> CompiledRule:
    """A rule by key or by name; Refusal listing the keys otherwise."""
    rules = rules_of(org)
    wanted = text.strip()
    for rule in rules:
        if wanted in (rule.key, rule.name):
            return rule
    listing = "、".join(r.key for r in rules) or "（无）"
    raise Refusal(
        f"未找到提醒规则“{wanted}”。可用的规则代码：{listing}。发送 /reminders 查看详情。"
    )


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
    state = (await _rule_states(session, [rule], now))[0][rule.key]
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
    targets = _targets(org, rule, await _departments(session))
    if department_text:
        wanted = department_text.strip()
        targets = [d for d in targets if wanted in (d.key, d.name)]
        if not targets:
            raise Refusal(f"提醒规则“{rule.name}”不涉及部门“{wanted}”。")
    stamp = int(now.timestamp())
    for dept in targets:
        row = await _occurrence_row(session, rule.key, dept, occ, now)
        send = await _record(
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
        await _deliver(session, rule, dept, row, send, text, now)
    return ManualSend(rule=rule, period=occ.period, departments=[d.name for d in targets])


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
    states, _ = await _rule_states(session, rules, now)
    depts = await _departments(session)
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
        for dept in _targets(org, rule, depts):
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
    messages, current = [], head
    for block in blocks:
        if len(current) + len(block) + 2 > 3800:
            messages.append(current)
            current = block
        else:
            current += "\n\n" + block
    messages.append(current)
    return messages


# -- meetings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInfo:
    """A meeting occurrence as the buttons and dialogs see it."""

    occurrence_id: int
    rule_name: str
    department_id: int
    department: str
    period: str
    status: OccurrenceStatus
    held_on: date | None
    postponed_to: datetime | None
    default_time: time


async def _meeting_row(
    session: AsyncSession, org: OrgFile, occurrence_id: int, person: PersonInfo
) -> tuple[ReminderOccurrence, CompiledRule, Department]:
    row = await session.get(ReminderOccurrence, occurrence_id)
    rule = next((r for r in rules_of(org) if row is not None and r.key == row.rule_key), None)
    if row is None or rule is None:
        raise Refusal("该提醒已失效。")
    if rule.kind is not ReminderKind.MEETING:
        raise Refusal("该提醒无需登记召开情况。")
    dept = await session.get(Department, row.department_id)
    assert dept is not None
    if not (person.belongs_to(dept.id) or person.is_coordinator):
        raise Refusal(f"该按钮仅限{dept.name}成员操作。如需加入，请联系协调员获取邀请链接。")
    return row, rule, dept


def _info(row: ReminderOccurrence, rule: CompiledRule, dept: Department) -> MeetingInfo:
    return MeetingInfo(
        occurrence_id=row.id,
        rule_name=rule.name,
        department_id=dept.id,
        department=dept.name,
        period=row.period,
        status=OccurrenceStatus(row.status),
        held_on=row.held_on,
        postponed_to=row.postponed_to,
        default_time=rule.schedule.at or DEFAULT_FIRE_TIME,
    )


class MeetingSettled(Refusal):
    """The meeting is already recorded as held: nothing left to ask."""


def _already_held(row: ReminderOccurrence, rule: CompiledRule, dept: Department) -> Refusal:
    assert row.held_on is not None
    return MeetingSettled(
        f"{dept.name}{period_label(row.period)}的{rule.name}已登记为"
        f"{fmt_date(row.held_on)}召开，无需重复登记。"
    )


async def meeting_for(
    session: AsyncSession, org: OrgFile, occurrence_id: int, person: PersonInfo
) -> MeetingInfo:
    """The meeting behind a button, if this person may answer it and it is still open."""
    row, rule, dept = await _meeting_row(session, org, occurrence_id, person)
    if row.status == OccurrenceStatus.HELD:
        raise _already_held(row, rule, dept)
    return _info(row, rule, dept)


async def _edit_reminders(
    session: AsyncSession, row: ReminderOccurrence, line: str, now: datetime
) -> None:
    """Show the new state under every reminder message of this occurrence, without buttons."""
    sends = await session.scalars(
        select(ReminderSend).where(
            ReminderSend.occurrence_id == row.id, ReminderSend.outbox_id.is_not(None)
        )
    )
    for send in sends:
        original = await session.get(OutboxMessage, send.outbox_id)
        if original is None:
            continue
        await enqueue(
            session,
            Outgoing(
                text=f"{original.text or ''}\n{line}",
                kind="edit_text",
                target_outbox_id=original.id,
            ),
            chat_id=original.chat_id,
            thread_id=original.thread_id,
            department_id=original.department_id,
            now=now,
            dedupe_key=f"rem-edit:{send.id}:{row.status}:{row.postpone_count}",
        )


async def _person_name(session: AsyncSession, person_id: int) -> str:
    person = await session.get(Person, person_id)
    return person.display_name if person is not None else "未知"


async def record_held(
    session: AsyncSession,
    org: OrgFile,
    tz: ZoneInfo,
    occurrence_id: int,
    person: PersonInfo,
    held_on: date,
    now: datetime,
) -> MeetingInfo:
    """Record a meeting as held on `held_on` (today or earlier); refuses a second record."""
    row, rule, dept = await _meeting_row(session, org, occurrence_id, person)
    if row.status == OccurrenceStatus.HELD:
        raise _already_held(row, rule, dept)
    today = now.astimezone(tz).date()
    if held_on > today:
        raise Refusal(f"召开日期不能晚于今天（{fmt_date(today)}），请重新输入。")
    if held_on < today - MEETING_DATE_RANGE:
        raise Refusal("召开日期过早（超过3个月），请核对后重新输入。")
    row.status = OccurrenceStatus.HELD.value
    row.held_on = held_on
    row.recorded_by, row.recorded_at = person.id, now
    await session.flush()
    await _edit_reminders(session, row, held_line(held_on, person.display_name), now)
    return _info(row, rule, dept)


async def record_postponed(
    session: AsyncSession,
    org: OrgFile,
    tz: ZoneInfo,
    occurrence_id: int,
    person: PersonInfo,
    new_at: datetime,
    now: datetime,
) -> MeetingInfo:
    """Move a meeting to `new_at` (after now); the department is reminded again then."""
    row, rule, dept = await _meeting_row(session, org, occurrence_id, person)
    if row.status == OccurrenceStatus.HELD:
        raise _already_held(row, rule, dept)
    if new_at <= now:
        raise Refusal(f"改期时间须晚于现在（{fmt_datetime(now, tz)}），请重新输入。")
    if new_at > now + MEETING_DATE_RANGE:
        raise Refusal("改期时间过远（超过3个月），请核对后重新输入。")
    row.status = OccurrenceStatus.POSTPONED.value
    row.postponed_to = new_at
    row.postpone_count += 1
    row.recorded_by, row.recorded_at = person.id, now
    await session.flush()
    local = new_at.astimezone(tz)
    due = Due(local.date(), local.time().replace(second=0, microsecond=0))
    await _edit_reminders(session, row, postponed_line(due, person.display_name), now)
    return _info(row, rule, dept)


async def held_meetings(
    session: AsyncSession, org: OrgFile, start: date, end: date
) -> list[HeldMeeting]:
    """Meetings recorded as held between `start` and `end` (inclusive), for the bulletin."""
    names = {r.key: r.name for r in rules_of(org)}
    rows = await session.execute(
        select(ReminderOccurrence, Department.name)
        .join(Department, Department.id == ReminderOccurrence.department_id)
        .where(
            ReminderOccurrence.held_on.is_not(None),
            ReminderOccurrence.held_on >= start,
            ReminderOccurrence.held_on <= end,
        )
        .order_by(ReminderOccurrence.held_on, ReminderOccurrence.id)
    )
    result = []
    for occ, dept_name in rows:
        assert occ.held_on is not None and occ.recorded_at is not None
        result.append(
            HeldMeeting(
                rule_key=occ.rule_key,
                rule_name=names.get(occ.rule_key, occ.rule_key),
                department_id=occ.department_id,
                department_name=dept_name,
                period=occ.period,
                held_on=occ.held_on,
                recorded_at=occ.recorded_at,
            )
        )
    return result


# -- dates typed by people --------------------------------------------------------------------

_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "昨天": -1, "昨日": -1}
_RELATIVE |= {"前天": -2}
_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_SHORT = re.compile(r"(\d{1,2})\s*(?:月|/)\s*(\d{1,2})\s*[日号]?")
HELD_DATE_HELP = "请回复召开日期，例如 12月1日、2026-12-01、12/1，或“今天”“昨天”。"
POSTPONE_DATE_HELP = "请回复改期后的日期，例如 12月8日、12月8日 15:00、2026-12-08，或“明天”。"


def parse_day(text: str, today: date, *, future: bool) -> tuple[date, time | None]:
    """A date (and optional time) typed in chat; Refusal with the accepted forms otherwise."""
    help_text = POSTPONE_DATE_HELP if future else HELD_DATE_HELP
    try:
        body, at = split_clock_time(text)
    except ScheduleParseError:
        raise Refusal(f"时间写法有误。{help_text}") from None
    body = unicodedata.normalize("NFKC", body).replace(" ", "")
    day: date | None = None
    try:
        if body in _RELATIVE:
            day = today + timedelta(days=_RELATIVE[body])
        elif m := _FULL.fullmatch(body):
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif m := _SHORT.fullmatch(body):
            # Without a year: the nearest such date (12月28日 typed on 1 January is last year's).
            month, dom = int(m.group(1)), int(m.group(2))
            candidates = []
            for year in (today.year - 1, today.year, today.year + 1):
                with contextlib.suppress(ValueError):  # 2月29日 exists in some years only
                    candidates.append(date(year, month, dom))
            if not candidates:
                raise ValueError(body)
            day = min(candidates, key=lambda d: abs((d - today).days))
    except ValueError:
        raise Refusal(f"日期“{text.strip()[:20]}”不存在。{help_text}") from None
    if day is None:
        raise Refusal(f"未能识别日期“{text.strip()[:20]}”。{help_text}")
    return day, at


async def reminders_step(rt: Runtime, now: datetime) -> TickReport:
    """The scheduler step: one transaction per tick, outbox rows written with the state."""
    async with rt.transaction() as session:
        return await run_reminders(session, rt.org, rt.calendar, rt.tz, now)
