"""Reminder rules: the org file's `reminders:` compiled (when, lead times, departments), their
runtime state (since when each counts, paused or not), and the departments they reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import DepartmentKind
from models.org import Department
from models.orgfile import OrgFile
from models.reminder_rules import ReminderKind, ReminderRuleSpec
from models.reminders import ReminderRuleState
from models.schedule import LeadTime, LeadUnit, ScheduleSpec
from services.errors import Refusal
from services.schedule_rules import ScheduleParseError, describe_lead, parse_leads, parse_schedule
from services.sql import insert_ignore


@dataclass(frozen=True)
class CompiledRule:
    """A reminder rule ready to compute occurrences from."""

    spec: ReminderRuleSpec
    schedule: ScheduleSpec
    leads: tuple[LeadTime, ...]
    grace: timedelta

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> ReminderKind:
        return self.spec.kind

    @property
    def lead_span(self) -> timedelta:
        """How far before its due date a reminder can fire (generous: holidays included)."""
        longest = timedelta(days=1)
        for lead in self.leads:
            if lead.unit is LeadUnit.WORKDAYS:
                # n workdays never span more than 2n days plus the longest holiday (春节: 9).
                span = timedelta(days=2 * lead.amount + 12)
            elif lead.unit is LeadUnit.DAYS:
                span = timedelta(days=lead.amount + 1)
            else:
                span = timedelta(hours=lead.amount, days=1)
            longest = max(longest, span)
        return longest


class ReminderConfigError(ValueError):
    """A reminder rule the office must fix; `loc` points into the org file."""

    def __init__(self, loc: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def lead_code(lead: LeadTime) -> str:
    """A short ASCII code for a lead time, used in unique keys (w3, d0, h2, d0@0830)."""
    unit = {LeadUnit.WORKDAYS: "w", LeadUnit.DAYS: "d", LeadUnit.HOURS: "h"}[lead.unit]
    return f"{unit}{lead.amount}" + (f"@{lead.at:%H%M}" if lead.at is not None else "")


def leads_text(leads: tuple[LeadTime, ...]) -> str:
    """提前3个工作日、当天."""
    return "、".join(
        describe_lead(lead)
        if lead.unit is LeadUnit.DAYS and lead.amount == 0
        else "提前" + describe_lead(lead)
        for lead in leads
    )


def _compile(index: int, spec: ReminderRuleSpec) -> CompiledRule:
    loc: tuple[Any, ...] = ("reminders", index, "when")
    try:
        # A deadline may be "by the 25th"; a meeting or task reminder needs a clock time.
        schedule = parse_schedule(spec.when, require_time=spec.kind is not ReminderKind.DEADLINE)
        loc = ("reminders", index, "lead")
        leads = parse_leads(spec.lead)
    except ScheduleParseError as err:
        raise ReminderConfigError(loc, f"{err.message_zh} ({err.message_en})") from None
    return CompiledRule(spec=spec, schedule=schedule, leads=leads, grace=spec.grace_period)


def compile_rules(org: OrgFile) -> list[CompiledRule]:
    """Every rule of the org file, compiled; raises ReminderConfigError on the first mistake."""
    known = {d.key for d in org.departments}
    kinds = {k.value for k in DepartmentKind}
    seen: set[str] = set()
    compiled: list[CompiledRule] = []
    for i, spec in enumerate(org.reminders):
        if spec.key in seen:
            raise ReminderConfigError(("reminders", i, "key"), f"规则代码 '{spec.key}' 重复")
        seen.add(spec.key)
        for target in spec.departments:
            if target in known:
                continue
            if target not in kinds:
                raise ReminderConfigError(
                    ("reminders", i, "departments"),
                    f"'{target}' 既不是部门代码也不是部门类别 (neither a department key nor a kind)",
                )
            if not org.departments_of_kind(DepartmentKind(target)):
                raise ReminderConfigError(
                    ("reminders", i, "departments"),
                    f"没有类别为 '{target}' 的部门 (no department of kind '{target}')",
                )
        compiled.append(_compile(i, spec))
    return compiled


_CACHE: dict[int, tuple[OrgFile, list[CompiledRule]]] = {}


def rules_of(org: OrgFile) -> list[CompiledRule]:
    """compile_rules, once per loaded org file (the org file does not change while running)."""
    cached = _CACHE.get(id(org))
    if cached is None or cached[0] is not org:
        cached = (org, compile_rules(org))
        _CACHE[id(org)] = cached
    return cached[1]


def target_keys(org: OrgFile, spec: ReminderRuleSpec) -> list[str]:
    """The department keys a rule names, kinds expanded, in org-file order, without repeats."""
    wanted = set(spec.departments)
    return [d.key for d in org.departments if d.key in wanted or d.kind.value in wanted]


# -- the departments a rule reaches -----------------------------------------------------------


@dataclass(frozen=True)
class DeptRef:
    """A department as the reminders need it."""

    id: int
    key: str
    name: str
    kind: str


async def departments(session: AsyncSession) -> dict[str, DeptRef]:
    """The active departments by key."""
    rows = await session.scalars(select(Department).where(Department.active.is_(True)))
    return {r.key: DeptRef(r.id, r.key, r.name, r.kind) for r in rows}


def targets(org: OrgFile, rule: CompiledRule, depts: dict[str, DeptRef]) -> list[DeptRef]:
    """The active departments a rule reminds, in org-file order."""
    return [depts[k] for k in target_keys(org, rule.spec) if k in depts]


# -- runtime state ----------------------------------------------------------------------------


async def rule_states(
    session: AsyncSession, rules: Sequence[CompiledRule], now: datetime
) -> tuple[dict[str, ReminderRuleState], bool]:
    """The state row of every rule (a rule seen for the first time starts counting now), and
    whether any row was created."""
    keys = [r.key for r in rules]
    rows = {r.key: r for r in await session.scalars(select(ReminderRuleState))}
    missing = [k for k in keys if k not in rows]
    for key in missing:
        values = {"key": key, "active_since": now, "checked_until": now}
        await insert_ignore(session, ReminderRuleState, values, ["key"])
    if missing:
        rows = {r.key: r for r in await session.scalars(select(ReminderRuleState))}
    return rows, bool(missing)


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
