"""The org file's `calendar:` block: official holiday dates the office adds for later years."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

_WEEKDAY_ZH = "一二三四五六日"

# The State Council publishes next year's dates each November; anything outside this range is
# far more likely a typo than a real calendar.
MIN_OFFICE_YEAR = 2000
MAX_OFFICE_YEAR = 2100


class YearDates(BaseModel):
    """One year's official dates: days off (放假) and swapped working weekend days (调休上班)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_consistent(self) -> YearDates:
        """Refuse a day listed both as a holiday and a workday, and a weekday listed as 调休."""
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(
                "同一天不能既是放假日又是调休上班日：" + "、".join(d.isoformat() for d in both)
            )
        weekdays = [d for d in self.workdays if d.weekday() < 5]
        if weekdays:
            listed = "、".join(f"{d.isoformat()}（周{_WEEKDAY_ZH[d.weekday()]}）" for d in weekdays)
            raise ValueError(
                f"调休上班日应为周六或周日，以下日期本来就是工作日，请核对：{listed}"
                " (workdays must list swapped Saturdays/Sundays only)"
            )
        return self


class OfficeCalendar(RootModel[dict[int, YearDates]]):
    """Year -> official dates, as typed: `2027: {holidays: [...], workdays: [...]}`."""

    root: dict[int, YearDates] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_years(self) -> OfficeCalendar:
        """Each listed date must belong to the year it is filed under."""
        for year, dates in self.root.items():
            if not MIN_OFFICE_YEAR <= year <= MAX_OFFICE_YEAR:
                raise ValueError(
                    f"年份 {year} 超出范围（{MIN_OFFICE_YEAR}–{MAX_OFFICE_YEAR}），请核对"
                    f" (year {year} out of range)"
                )
            strays = [d for d in (*dates.holidays, *dates.workdays) if d.year != year]
            if strays:
                listed = "、".join(d.isoformat() for d in strays)
                raise ValueError(
                    f"{year}年的日历中出现了其他年份的日期：{listed}"
                    f" (dates filed under {year} belong to another year)"
                )
        return self

    def years(self) -> list[int]:
        """The years the office has supplied, ascending."""
        return sorted(self.root)
