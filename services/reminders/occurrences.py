"""Occurrence maths (pure): a rule's occurrences and reminder moments in a window, the current
one, the next one. Nothing here reads the database.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.schedule import Fire, LeadTime, Occurrence, ScheduleSpec
from services.reminders.rules import CompiledRule
from services.schedule_rules import frequency, occurrences
from services.workdays import WorkdayCalendar


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


def due_fires(
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
    key = period_key(rule.schedule, today)
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


def period_key(schedule: ScheduleSpec, day: date) -> str:
    """The period a day falls in, as occurrences name it (2026-12, 2026-W49, 2026, 2026-12-01)."""
    kind = frequency(schedule).value
    if kind == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    if kind == "weekly":
        iso = day.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if kind == "yearly":
        return f"{day.year:04d}"
    return day.isoformat()
