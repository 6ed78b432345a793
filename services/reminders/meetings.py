"""Meetings: a meeting reminder's 已召开 / 改期 recorded on its occurrence row, the reminder
messages edited to show it, and the held meetings the bulletin counts.

Diagram: docs/reminder-meeting.mmd (the handler side is handlers/reminders.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import PersonInfo
from models.org import Department
from models.orgfile import OrgFile
from models.outbox import OutboxKind, OutboxMessage
from models.reminder_rules import ReminderKind
from models.reminders import HeldMeeting, OccurrenceStatus, ReminderOccurrence, ReminderSend
from services.errors import Refusal
from services.outbox import Outgoing, enqueue
from services.reminders.rules import CompiledRule, rules_of
from services.reminders.texts import Due, held_line, postponed_line
from services.schedule_rules import DEFAULT_FIRE_TIME, period_label
from services.timefmt import fmt_date, fmt_datetime

# How far back a held date and how far ahead a postponed date may be.
MEETING_DATE_RANGE = timedelta(days=92)


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
        status=row.status,
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
                kind=OutboxKind.EDIT_TEXT,
                target_outbox_id=original.id,
            ),
            chat_id=original.chat_id,
            thread_id=original.thread_id,
            department_id=original.department_id,
            now=now,
            dedupe_key=f"rem-edit:{send.id}:{row.status}:{row.postpone_count}",
        )


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
    row.status = OccurrenceStatus.HELD
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
    row.status = OccurrenceStatus.POSTPONED
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
