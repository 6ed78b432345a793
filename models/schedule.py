"""Typed reminder schedules ("when") and lead times, parsed from the office's Chinese wording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Ordinals beyond this are not a calendar anybody keeps ("每月第12个工作日" is a typo).
MAX_WORKDAY_ORDINAL = 10
_DAYS_IN_MONTH_MAX = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Adjust(StrEnum):
    """What to do when a date-based rule lands on a non-workday."""

    NONE = "none"  # keep the date
    NEXT = "next"  # 非工作日顺延: the next workday
    PREV = "prev"  # 非工作日提前: the previous workday


class Frequency(StrEnum):
    """How often a schedule recurs; decides the shape of its period key."""

    MONTHLY = "monthly"  # period "2026-12"
    WEEKLY = "weekly"  # period "2026-W49" (ISO week)
    YEARLY = "yearly"  # period "2026"
    ONCE = "once"  # period "2026-12-15"


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Local clock time; None means "during that day" (a deadline: due by the end of the day).
    at: time | None = None


def _check_ordinal(n: int) -> None:
    if n == 0 or abs(n) > MAX_WORKDAY_ORDINAL:
        raise ValueError(f"工作日序号须在1至{MAX_WORKDAY_ORDINAL}之间（或倒数）")


class MonthlyWorkday(_Spec):
    """每月第N个工作日 (n=1 first, n=-1 last, n=-2 second to last)."""

    kind: Literal["monthly_workday"] = "monthly_workday"
    n: int

    @model_validator(mode="after")
    def _valid(self) -> MonthlyWorkday:
        _check_ordinal(self.n)
        return self


class MonthlyDay(_Spec):
    """每月N日; days past a short month's end fall on its last day (每月31日 -> 2月28日)."""

    kind: Literal["monthly_day"] = "monthly_day"
    day: int = Field(ge=1, le=31)
    adjust: Adjust = Adjust.NONE


class WeeklyDay(_Spec):
    """每周一 … 每周日 (weekday 0 = Monday), whether or not it is a workday."""

    kind: Literal["weekly_day"] = "weekly_day"
    weekday: int = Field(ge=0, le=6)


class WeeklyWorkday(_Spec):
    """每周第一个工作日 (n=1) or 每周最后一个工作日 (n=-1); a week fully off has none."""

    kind: Literal["weekly_workday"] = "weekly_workday"
    n: Literal[1, -1]


class YearlyWorkday(_Spec):
    """每年M月第N个工作日."""

    kind: Literal["yearly_workday"] = "yearly_workday"
    month: int = Field(ge=1, le=12)
    n: int

    @model_validator(mode="after")
    def _valid(self) -> YearlyWorkday:
        _check_ordinal(self.n)
        return self


class YearlyDay(_Spec):
    """每年M月D日; 2月29日 falls on 2月28日 in common years."""

    kind: Literal["yearly_day"] = "yearly_day"
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    adjust: Adjust = Adjust.NONE

    @model_validator(mode="after")
    def _valid(self) -> YearlyDay:
        if self.day > _DAYS_IN_MONTH_MAX[self.month - 1]:
            raise ValueError(f"{self.month}月没有{self.day}日")
        return self


class FixedDate(_Spec):
    """A single date, e.g. 2026-12-15."""

    kind: Literal["fixed"] = "fixed"
    on: date
    adjust: Adjust = Adjust.NONE


ScheduleSpec = Annotated[
    MonthlyWorkday | MonthlyDay | WeeklyDay | WeeklyWorkday | YearlyWorkday | YearlyDay | FixedDate,
    Field(discriminator="kind"),
]

FREQUENCY: dict[str, Frequency] = {
    "monthly_workday": Frequency.MONTHLY,
    "monthly_day": Frequency.MONTHLY,
    "weekly_day": Frequency.WEEKLY,
    "weekly_workday": Frequency.WEEKLY,
    "yearly_workday": Frequency.YEARLY,
    "yearly_day": Frequency.YEARLY,
    "fixed": Frequency.ONCE,
}


class LeadUnit(StrEnum):
    """The unit of a lead time."""

    WORKDAYS = "workdays"  # 3个工作日: counted on the workday calendar
    DAYS = "days"  # 1天: calendar days; 0 days is 当天 (on the day)
    HOURS = "hours"  # 2小时: before the due moment


class LeadTime(BaseModel):
    """How long before the due date a reminder goes out; `at` overrides the clock time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: int = Field(ge=0)
    unit: LeadUnit
    at: time | None = None

    @model_validator(mode="after")
    def _valid(self) -> LeadTime:
        if self.unit is LeadUnit.HOURS and (self.amount == 0 or self.at is not None):
            raise ValueError("按小时的提前量须大于0，且不能另设时间")
        return self


ON_THE_DAY = LeadTime(amount=0, unit=LeadUnit.DAYS)


@dataclass(frozen=True)
class Fire:
    """One moment a reminder for an occurrence goes out (UTC)."""

    lead: LeadTime
    fire_at: datetime


@dataclass(frozen=True)
class Occurrence:
    """One period's instance of a schedule.

    `period` is the stable key ("2026-12", "2026-W49", "2026", "2026-12-15"); `nominal_date`
    is the date the rule names, `due_date` the local date after moving off a non-workday,
    `due_at` the event itself in UTC, and `fires` the reminders, earliest first.
    """

    period: str
    nominal_date: date
    due_date: date
    due_at: datetime
    fires: tuple[Fire, ...]

    def fire_at(self, lead: LeadTime) -> datetime:
        """The UTC moment of the reminder for `lead`."""
        for fire in self.fires:
            if fire.lead == lead:
                return fire.fire_at
        raise KeyError(lead)
