"""Chinese workdays: the official holiday calendar with its swapped weekends (调休)."""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar.constants as _cc_constants

from models.calendar_schema import OfficeCalendar, YearDates

# No real calendar has a year-long run of days off; a longer search means broken office data.
_MAX_SEARCH_DAYS = 400
_ONE_DAY = timedelta(days=1)


class YearSource(StrEnum):
    """Where a year's workdays come from."""

    PACKAGE = "package"  # the chinese-calendar package
    OFFICE = "office"  # dates typed into the org file by the office
    FALLBACK = "fallback"  # nobody knows the year: Monday to Friday


@dataclass(frozen=True)
class _Year:
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: YearSource


def _package_years(max_year: int | None) -> dict[int, _Year]:
    """The years the chinese-calendar package knows, up to `max_year` if given."""
    holidays: Mapping[date, object] = _cc_constants.holidays
    workdays: Mapping[date, object] = _cc_constants.workdays
    first, last = min(holidays).year, max(holidays).year
    if max_year is not None:
        last = min(last, max_year)
    return {
        year: _Year(
            holidays=frozenset(d for d in holidays if d.year == year),
            workdays=frozenset(d for d in workdays if d.year == year),
            source=YearSource.PACKAGE,
        )
        for year in range(first, last + 1)
    }


class WorkdayCalendar:
    """Answers "is this a workday?" and the date arithmetic built on it."""

    def __init__(self, years: Mapping[int, _Year]) -> None:
        self._years = dict(years)

    @classmethod
    def build(
        cls,
        office: OfficeCalendar | Mapping[int, YearDates] | None = None,
        *,
        max_package_year: int | None = None,
    ) -> WorkdayCalendar:
        """The package's years plus the office's; an office year replaces the package's one.

        The office wins because it copies the State Council notice: if the package ever
        disagrees (a late correction), the office's reading is the one the people follow.
        `max_package_year` ignores newer package data (tests pin the package to 2026).
        """
        years = _package_years(max_package_year)
        office_years = office.root if isinstance(office, OfficeCalendar) else (office or {})
        for year, dates in office_years.items():
            years[year] = _Year(
                holidays=frozenset(dates.holidays),
                workdays=frozenset(dates.workdays),
                source=YearSource.OFFICE,
            )
        return cls(years)

    @classmethod
    def weekdays_only(cls) -> WorkdayCalendar:
        """A calendar that knows no year: every year is Monday to Friday."""
        return cls({})

    # -- what is known ------------------------------------------------------------------------

    def is_known_year(self, year: int) -> bool:
        """True if the package or the office supplied this year's official dates."""
        return year in self._years

    def year_source(self, year: int) -> YearSource:
        """Where this year's workdays come from."""
        known = self._years.get(year)
        return known.source if known else YearSource.FALLBACK

    def missing_years(self, years: Iterable[int]) -> list[int]:
        """The years among `years` that nobody supplied (they fall back to Monday–Friday)."""
        return sorted({y for y in years if not self.is_known_year(y)})

    def missing_years_between(self, start: date, end: date) -> list[int]:
        """The unknown years touched by the dates from `start` to `end` inclusive."""
        return self.missing_years(range(start.year, end.year + 1))

    # -- single days --------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """True if people work on `d` (a weekday that is no holiday, or a 调休 weekend day)."""
        known = self._years.get(d.year)
        if known is None:
            return d.weekday() < 5
        if d in known.workdays:
            return True
        return d.weekday() < 5 and d not in known.holidays

    def next_workday(self, d: date, include: bool = True) -> date:
        """The first workday on or after `d` (strictly after if `include` is False)."""
        cur = d if include else d + _ONE_DAY
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_workday(cur):
                return cur
            cur += _ONE_DAY
        raise ValueError(f"no workday within {_MAX_SEARCH_DAYS} days after {d}")

    def prev_workday(self, d: date, include: bool = True) -> date:
        """The last workday on or before `d` (strictly before if `include` is False)."""
        cur = d if include else d - _ONE_DAY
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_workday(cur):
                return cur
            cur -= _ONE_DAY
        raise ValueError(f"no workday within {_MAX_SEARCH_DAYS} days before {d}")

    # -- months and weeks ---------------------------------------------------------------------

    def workdays_of_month(self, year: int, month: int) -> list[date]:
        """Every workday of the month, in order."""
        days = _calendar.monthrange(year, month)[1]
        return [d for d in (date(year, month, i) for i in range(1, days + 1)) if self.is_workday(d)]

    def nth_workday_of_month(self, year: int, month: int, n: int) -> date | None:
        """The n-th workday of the month (n=1 first, n=-1 last); None if there is no such day."""
        days = self.workdays_of_month(year, month)
        if n == 0 or abs(n) > len(days):
            return None
        return days[n - 1] if n > 0 else days[n]

    def first_workday_of_month(self, year: int, month: int) -> date:
        """The month's first workday."""
        return self.next_workday(date(year, month, 1))

    def last_workday_of_month(self, year: int, month: int) -> date:
        """The month's last workday."""
        return self.prev_workday(date(year, month, _calendar.monthrange(year, month)[1]))

    def workdays_of_week(self, d: date) -> list[date]:
        """The workdays of the ISO week (Monday to Sunday) containing `d`."""
        monday = d - timedelta(days=d.weekday())
        return [
            day for day in (monday + timedelta(days=i) for i in range(7)) if self.is_workday(day)
        ]

    def first_workday_of_week(self, d: date) -> date | None:
        """The first workday of the ISO week containing `d`; None for a week fully off (春节)."""
        days = self.workdays_of_week(d)
        return days[0] if days else None

    def last_workday_of_week(self, d: date) -> date | None:
        """The last workday of the ISO week containing `d`; None for a week fully off."""
        days = self.workdays_of_week(d)
        return days[-1] if days else None

    # -- counting -----------------------------------------------------------------------------

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th workday after `d` (before it if n < 0), not counting `d`; n=0 gives `d`."""
        cur = d
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        for _ in range(abs(n)):
            cur = self.next_workday(cur + step) if n > 0 else self.prev_workday(cur + step)
        return cur

    def workdays_between(self, a: date, b: date) -> int:
        """Workdays in the half-open span (a, b]; negative when b is before a.

        Chosen so that `workdays_between(d, add_workdays(d, n)) == n` for every n >= 0.
        """
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        cur = a + _ONE_DAY
        while cur <= b:
            if self.is_workday(cur):
                count += 1
            cur += _ONE_DAY
        return count
