"""The reminders tick: the rules' reminder moments and postponed meetings as a source of the
occurrence engine, then the one-time notices to the coordinators.

The tick looks at every rule from its last check up to `now`, so a restart or an outage only
shifts work to the next tick; unique send keys make every planned message happen at most once,
whatever runs twice. A late one is sent within the rule's grace (`grace:` in the org file,
12h by default), else listed to the coordinators as missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.chats import BoundChat
from models.enums import DepartmentKind
from models.orgfile import OrgFile
from models.reminder_rules import ReminderKind
from models.reminders import (
    OccurrenceStatus,
    ReminderOccurrence,
    ReminderRuleState,
    ReminderSend,
    SendKind,
    SendStatus,
)
from models.schedule import Fire, Occurrence
from services.buttons import MEETING, MeetingAction
from services.outbox import (
    Button,
    Outgoing,
    department_chat,
    enqueue_to_coordinators,
    enqueue_to_department,
)
from services.reminders import engine
from services.reminders.engine import Decision, Due, Slot
from services.reminders.ledger import (
    OccurrenceRef,
    notice_once,
    occurrence_row,
    record_send,
    recorded_keys,
)
from services.reminders.occurrences import due_fires
from services.reminders.rules import (
    CompiledRule,
    DeptRef,
    departments,
    lead_code,
    rule_states,
    rules_of,
    targets,
)
from services.reminders.texts import (
    Due as DueText,
)
from services.reminders.texts import (
    MissedReminder,
    missed_text,
    missing_year_text,
    reminder_text,
)
from services.runtime import Runtime
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


@dataclass
class TickReport:
    """What one tick did (tests read it; the bot only logs it)."""

    sent: list[str] = field(default_factory=list)  # send keys written to the outbox
    missed: list[MissedReminder] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def meeting_buttons(rule: CompiledRule, occurrence_id: int) -> list[list[Button]]:
    """已召开 / 改期 under a meeting reminder (nothing under other kinds)."""
    if rule.kind is not ReminderKind.MEETING:
        return []
    return [
        [
            Button("已召开", MEETING.encode(MeetingAction.HELD, occurrence_id)),
            Button("改期", MEETING.encode(MeetingAction.POSTPONE, occurrence_id)),
        ]
    ]


async def deliver(
    session: AsyncSession,
    rule: CompiledRule,
    dept: DeptRef,
    occurrence: ReminderOccurrence,
    send: ReminderSend,
    text: str,
    now: datetime,
) -> None:
    """Write the reminder to the outbox: the department's group, else forwarded to coordinators."""
    message = Outgoing(text=text, buttons=meeting_buttons(rule, occurrence.id))
    dedupe = f"rem:{send.send_key}"
    if dept.kind == DepartmentKind.COORDINATOR and await department_chat(session, dept.id) is None:
        # The office itself: its people are the coordinators, reached in private.
        await enqueue_to_coordinators(session, message, now=now, dedupe_key=dedupe)
        return
    send.outbox_id = await enqueue_to_department(
        session, message, department_id=dept.id, now=now, dedupe_key=dedupe
    )


@dataclass(frozen=True)
class Scheduled:
    """One lead time of a rule's occurrence, for one department."""

    rule: CompiledRule
    dept: DeptRef
    occ: Occurrence
    fire: Fire


@dataclass(frozen=True)
class Postponed:
    """The new date of a postponed meeting."""

    rule: CompiledRule
    dept: DeptRef
    row: ReminderOccurrence


Item = Scheduled | Postponed


class RuleReminders(engine.Source[Item, ReminderOccurrence, ReminderSend]):
    """The org file's reminder rules as a source of the engine (recorded in the ledger)."""

    def __init__(self, org: OrgFile, cal: WorkdayCalendar, tz: ZoneInfo) -> None:
        self.org, self.cal, self.tz = org, cal, tz
        self.report = TickReport()
        self.refresh = False
        self.active: list[CompiledRule] = []
        self.depts: dict[str, DeptRef] = {}

    async def due(self, session: AsyncSession, now: datetime) -> list[Due[Item]]:
        rules = rules_of(self.org)
        states, created = await rule_states(session, rules, now)
        self.active = [r for r in rules if states[r.key].paused_at is None]
        last_check = min((states[r.key].checked_until for r in self.active), default=now)
        self.refresh = created or now - last_check >= CHECK_EVERY

        fires: list[tuple[CompiledRule, Occurrence, Fire]] = []
        for rule in self.active:
            state = states[rule.key]
            since = max(state.active_since, state.checked_until - LOOKBACK_SAFETY)
            fires.extend(
                (rule, occ, fire) for occ, fire in due_fires(rule, self.cal, self.tz, since, now)
            )
        if self.active and self.refresh:
            await session.execute(
                update(ReminderRuleState)
                .where(
                    ReminderRuleState.key.in_([r.key for r in self.active]),
                    ReminderRuleState.checked_until < now,
                )
                .values(checked_until=now)
                .execution_options(synchronize_session=False)
            )
        self.depts = await departments(session) if fires or self.refresh else {}
        found: list[Due[Item]] = [
            Due(
                key=f"{rule.key}:{dept.key}:{occ.period}:{lead_code(fire.lead)}",
                group=(rule.key, dept.key, occ.period),
                fire_at=fire.fire_at,
                grace_until=fire.fire_at + rule.grace,
                item=Scheduled(rule, dept, occ, fire),
            )
            for rule, occ, fire in fires
            for dept in targets(self.org, rule, self.depts)
        ]
        found.extend(await self._postponed(session, states, now))
        return found

    async def _postponed(
        self, session: AsyncSession, states: dict[str, ReminderRuleState], now: datetime
    ) -> list[Due[Item]]:
        """Postponed meetings whose new date has come: reminded again then."""
        rows = list(
            await session.scalars(
                select(ReminderOccurrence).where(
                    ReminderOccurrence.status == OccurrenceStatus.POSTPONED,
                    ReminderOccurrence.postponed_to <= now,
                )
            )
        )
        if not rows:
            return []
        rules = {r.key: r for r in rules_of(self.org)}
        by_id = {d.id: d for d in (await departments(session)).values()}
        found: list[Due[Item]] = []
        for row in rows:
            rule, dept = rules.get(row.rule_key), by_id.get(row.department_id)
            state = states.get(row.rule_key)
            if rule is None or dept is None or state is None or state.paused_at is not None:
                continue
            assert row.postponed_to is not None
            found.append(
                Due(
                    key=f"{rule.key}:{dept.key}:{row.period}:post{row.postpone_count}",
                    group=("postponed", row.id),
                    fire_at=row.postponed_to,
                    grace_until=row.postponed_to + rule.grace,
                    item=Postponed(rule, dept, row),
                )
            )
        return found

    async def recorded(self, session: AsyncSession, keys: Sequence[str]) -> set[str]:
        return await recorded_keys(session, keys)

    async def open(
        self, session: AsyncSession, group: Sequence[Due[Item]], now: datetime
    ) -> Slot[ReminderOccurrence]:
        item = group[0].item
        if isinstance(item, Postponed):
            # Back to open: the new reminder carries the buttons again.
            item.row.status = OccurrenceStatus.OPEN
            return Slot(item.row)
        ref = OccurrenceRef(
            item.rule.key, item.dept.id, item.occ.period, item.occ.due_date, item.occ.due_at
        )
        row = await occurrence_row(session, ref, now)
        # A held meeting needs no more reminders; a postponed one waits for its new date.
        return Slot(row, settled=row.status != OccurrenceStatus.OPEN)

    async def record(
        self,
        session: AsyncSession,
        slot: Slot[ReminderOccurrence],
        decision: Decision[Item],
        now: datetime,
    ) -> ReminderSend | None:
        item = decision.due.item
        scheduled = isinstance(item, Scheduled)
        return await record_send(
            session,
            key=decision.due.key,
            occurrence=slot.occurrence,
            kind=SendKind.SCHEDULED if scheduled else SendKind.POSTPONED,
            lead=lead_code(item.fire.lead) if isinstance(item, Scheduled) else None,
            fire_at=decision.due.fire_at,
            status=decision.status,
            now=now,
        )

    async def send(
        self,
        session: AsyncSession,
        slot: Slot[ReminderOccurrence],
        decision: Decision[Item],
        record: ReminderSend,
        now: datetime,
    ) -> None:
        item = decision.due.item
        rule, dept, row = item.rule, item.dept, slot.occurrence
        if isinstance(item, Scheduled):
            due = DueText(item.occ.due_date, rule.schedule.at)
            text = reminder_text(
                rule, department=dept.name, period=item.occ.period, due=due, lead=item.fire.lead
            )
        else:
            local = decision.due.fire_at.astimezone(self.tz)
            text = reminder_text(
                rule,
                department=dept.name,
                period=row.period,
                due=DueText(local.date(), local.time().replace(second=0, microsecond=0)),
                lead=None,
                postponed_from=DueText(row.due_on, rule.schedule.at),
            )
        await deliver(session, rule, dept, row, record, text, now)

    async def finish(
        self, session: AsyncSession, decisions: Sequence[Decision[Item]], now: datetime
    ) -> None:
        report = self.report
        for decision in decisions:
            item, key = decision.due.item, decision.due.key
            if decision.status is SendStatus.SENT:
                report.sent.append(key)
            elif decision.status is SendStatus.MISSED:
                period = item.occ.period if isinstance(item, Scheduled) else item.row.period
                report.missed.append(
                    MissedReminder(item.rule.name, item.dept.name, period, decision.due.fire_at)
                )
            else:
                report.skipped.append(key)
        if report.missed:
            await enqueue_to_coordinators(
                session, Outgoing(text=missed_text(report.missed, self.tz)), now=now
            )
        if self.refresh:
            await _calendar_notices(session, self.cal, self.tz, now, report)
            await _unbound_notices(session, self.org, self.active, self.depts, now, report)


async def run_reminders(
    session: AsyncSession, org: OrgFile, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime
) -> TickReport:
    """One tick: send what is due, record what is too late, then the one-time notices."""
    source = RuleReminders(org, cal, tz)
    await engine.run(session, source, now)
    return source.report


async def _calendar_notices(
    session: AsyncSession, cal: WorkdayCalendar, tz: ZoneInfo, now: datetime, report: TickReport
) -> None:
    today = now.astimezone(tz).date()
    for year in cal.missing_years_between(today, today + timedelta(days=CALENDAR_WARNING_DAYS)):
        key = f"calendar-missing:{year}"
        if await notice_once(session, key, now):
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
        for dept in targets(org, rule, depts):
            if dept.id in reachable or dept.kind == DepartmentKind.COORDINATOR:
                continue
            unbound.setdefault(dept.key, []).append(rule.name)
    lines = []
    for key, names in unbound.items():
        dept = depts[key]
        # A later binding that is lost again gets its own notice.
        if await notice_once(session, f"unbound:{key}:{latest.get(dept.id, 0)}", now):
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


async def reminders_step(rt: Runtime, now: datetime) -> TickReport:
    """The scheduler step: one transaction per tick, outbox rows written with the state."""
    async with rt.transaction() as session:
        return await run_reminders(session, rt.org, rt.calendar, rt.tz, now)
