"""Schema of the org file (YAML): departments, areas, hazard categories and escalation ladders.

Later features add their own blocks (reminders, forms, calendar, bulletin); each block is a
pydantic model defined beside its feature and referenced here.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.bulletin import BulletinSpec
from models.calendar_schema import OfficeCalendar
from models.enums import AreaKind, DepartmentKind
from models.reminder_rules import ReminderRuleSpec

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class Duration(BaseModel):
    """A duration written like `30s`, `10m`, `2h` or `1d` (in business ladders, `1d` is one workday)."""

    model_config = ConfigDict(frozen=True)

    value: int
    unit: str

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = _DURATION.match(data)
            if not match:
                raise ValueError(f"'{data}' is not a duration; write e.g. 30s, 10m, 2h or 1d")
            return {"value": int(match.group(1)), "unit": match.group(2)}
        return data

    @field_validator("value")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("a duration must be greater than zero")
        return value

    def to_timedelta(self) -> timedelta:
        return timedelta(**{_UNITS[self.unit]: self.value})

    def __str__(self) -> str:
        return f"{self.value}{self.unit}"


class Strict(BaseModel):
    """Base of every org-file block: unknown keys are mistakes, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeSpec(Strict):
    name: str = Field(min_length=1, description="full name of the issuing office")
    short_name: str = Field(default="三级办", min_length=1)
    case_prefix: str = Field(default="QS", pattern=r"^[A-Z]{1,6}$")


class DepartmentSpec(Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=40, description="short Chinese name")
    full_name: str | None = None
    kind: DepartmentKind
    parent: str | None = None


class AreaSpec(Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=40)
    kind: AreaKind
    parent: str | None = None
    departments: list[str] = Field(
        default_factory=list, description="keys of the departments responsible for the area"
    )


class BusinessHours(Strict):
    """A daily window like 08:00-20:00, optionally on workdays only."""

    start: time
    end: time
    workdays_only: bool = True

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = re.match(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$", data)
            if not match:
                raise ValueError(f"'{data}' is not a window; write e.g. 08:00-20:00")
            return {"start": match.group(1), "end": match.group(2)}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("business hours must end after they start")
        return self


class LadderSpec(Strict):
    """How a silent department is pinged and escalated."""

    ping_every: Duration
    escalate_after: Duration
    escalate_every: Duration | None = Field(
        default=None, description="repeat of the escalation; default: ping_every"
    )
    business_hours: BusinessHours | None = None
    arrive_within: Duration | None = Field(
        default=None,
        description="after 报到, on site (到场) within this; default 30m for urgent cases, "
        "none for normal ones; write null to turn it off",
    )

    @property
    def escalation_interval(self) -> Duration:
        return self.escalate_every or self.ping_every

    def arrival_span(self, urgent: bool) -> Duration | None:
        """How long after 报到 the department has to arrive (None: no arrival deadline)."""
        if "arrive_within" in self.model_fields_set:
            return self.arrive_within
        return URGENT_ARRIVE_WITHIN if urgent else None


URGENT_ARRIVE_WITHIN = Duration.model_validate("30m")


class ByUrgency(Strict):
    """A duration for urgent and for normal cases; in a business-hours ladder `Nd` is N workdays."""

    urgent: Duration
    normal: Duration

    def of(self, urgent: bool) -> Duration:
        return self.urgent if urgent else self.normal


def _by_urgency(urgent: str, normal: str) -> ByUrgency:
    return ByUrgency.model_validate({"urgent": urgent, "normal": normal})


class CaseRules(Strict):
    """How a case is followed after 报到."""

    arrive_radius: int = Field(
        default=300, ge=10, le=100_000, description="metres from the pin that count as on site"
    )
    resolve_within: ByUrgency = Field(
        default_factory=lambda: _by_urgency("24h", "5d"),
        description="处置时限 counted from 报到 (a category may set its own)",
    )
    resolve_ping_every: ByUrgency = Field(
        default_factory=lambda: _by_urgency("6h", "1d"),
        description="处置催办 before the deadline, and the repeat of the escalation after it",
    )
    resolve_escalate_after: Duration | None = Field(
        default=None, description="escalate this long after the 处置 deadline (default: at it)"
    )


class CategorySpec(Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=20)
    routes: list[str] = Field(
        default_factory=list,
        description="department kinds (resolved within the case's area) or department keys",
    )
    ladder: str = "normal"
    urgent_ladder: str = "urgent"
    resolve_within: ByUrgency | None = Field(
        default=None, description="this category's 处置时限 (default: cases.resolve_within)"
    )


class FloodSpec(Strict):
    """Flood control per person (services/flood.py): what one person may ask of the bot."""

    stranger_answer_minutes: int = Field(
        default=5, ge=1, le=1440, description="an unregistered person: one answer per this"
    )
    updates_per_minute: int = Field(
        default=30, ge=5, le=1000, description="a registered person's messages and presses"
    )
    whistles_per_hour: int = Field(
        default=10, ge=1, le=1000, description="whistles one grid worker may submit in an hour"
    )


class OrgFile(Strict):
    """The whole org file."""

    office: OfficeSpec
    departments: list[DepartmentSpec]
    areas: list[AreaSpec] = Field(default_factory=list)
    categories: list[CategorySpec] = Field(default_factory=list)
    ladders: dict[str, LadderSpec] = Field(default_factory=dict)
    reminders: list[ReminderRuleSpec] = Field(default_factory=list)
    forms_file: str | None = None
    calendar: OfficeCalendar = Field(default_factory=lambda: OfficeCalendar({}))
    bulletin: BulletinSpec = Field(default_factory=BulletinSpec)
    flood: FloodSpec = Field(default_factory=FloodSpec)
    cases: CaseRules = Field(default_factory=CaseRules)

    @model_validator(mode="after")
    def _references(self) -> Self:
        dept_keys = [d.key for d in self.departments]
        _unique("departments", dept_keys)
        known = set(dept_keys)
        kinds = {k.value for k in DepartmentKind}
        for i, dept in enumerate(self.departments):
            if dept.parent is not None and dept.parent not in known:
                raise ValueError(f"departments[{i}].parent: unknown department '{dept.parent}'")
        _acyclic("departments", "department", [(d.key, d.parent) for d in self.departments])
        for kind in (DepartmentKind.COORDINATOR, DepartmentKind.LEADING_GROUP):
            if not any(d.kind == kind for d in self.departments):
                raise ValueError(f"departments: one department of kind '{kind}' is required")
        area_keys = [a.key for a in self.areas]
        _unique("areas", area_keys)
        for i, area in enumerate(self.areas):
            if area.parent is not None and area.parent not in area_keys:
                raise ValueError(f"areas[{i}].parent: unknown area '{area.parent}'")
            for key in area.departments:
                if key not in known:
                    raise ValueError(f"areas[{i}].departments: unknown department '{key}'")
        _acyclic("areas", "area", [(a.key, a.parent) for a in self.areas])
        _unique("categories", [c.key for c in self.categories])
        for i, cat in enumerate(self.categories):
            for route in cat.routes:
                if route not in known and route not in kinds:
                    raise ValueError(
                        f"categories[{i}].routes: '{route}' is neither a department key "
                        "nor a department kind"
                    )
            for ladder in (cat.ladder, cat.urgent_ladder):
                if ladder not in self.ladders:
                    raise ValueError(f"categories[{i}]: unknown ladder '{ladder}'")
        return self

    @model_validator(mode="after")
    def _bulletin_references(self) -> Self:
        """The bulletin counts meetings by reminder rule: each must exist and be a meeting."""
        kinds = {r.key: r.kind for r in self.reminders}
        for i, duty in enumerate(self.bulletin.duties):
            if duty.reminder is not None and kinds.get(duty.reminder) != "meeting":
                raise ValueError(
                    f"bulletin.duties[{i}].reminder: '{duty.reminder}' is not a reminder rule "
                    "of kind meeting"
                )
        return self

    def department(self, key: str) -> DepartmentSpec | None:
        return next((d for d in self.departments if d.key == key), None)

    def area(self, key: str) -> AreaSpec | None:
        return next((a for a in self.areas if a.key == key), None)

    def category(self, key: str) -> CategorySpec | None:
        return next((c for c in self.categories if c.key == key), None)

    def departments_of_kind(self, kind: DepartmentKind) -> list[DepartmentSpec]:
        return [d for d in self.departments if d.kind == kind]


def _unique(block: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{block}: key '{key}' appears twice")
        seen.add(key)


def _acyclic(block: str, noun: str, links: list[tuple[str, str | None]]) -> None:
    """Refuse a parent chain that comes back to where it started (it would never reach a top).

    Reported at the first entry, in file order, that lies on a cycle, with the whole loop.
    """
    parent = dict(links)
    for i, (key, _) in enumerate(links):
        chain = [key]
        up = parent.get(key)
        # Every step adds a new key to chain, so this stops within len(links) steps.
        while up is not None and up not in chain:
            chain.append(up)
            up = parent.get(up)
        if up == key:
            if len(chain) == 1:
                raise ValueError(
                    f"{block}[{i}].parent: {noun} '{key}' is its own parent; "
                    "remove the parent line or name the one above it"
                )
            loop = " → ".join([*chain, key])
            raise ValueError(
                f"{block}[{i}].parent: the parents go round in a circle ({loop}); "
                f"one {noun} of them must be at the top (no parent) or under another"
            )
