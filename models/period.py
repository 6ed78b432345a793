"""A calendar month, the period of reports and bulletins: written 2026-11, shown 2026年11月."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


@dataclass(frozen=True, order=True)
class MonthPeriod:
    """One calendar month (its instants are taken in the office's time zone)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 2000 <= self.year <= 2999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> MonthPeriod:
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, moment: datetime, tz: ZoneInfo) -> MonthPeriod:
        """The month that contains `moment` in `tz`."""
        return cls.of(moment.astimezone(tz).date())

    @classmethod
    def parse(cls, text: str) -> MonthPeriod:
        """Read 2026-11, 2026/11, 2026.11 or 2026年11月; raise ValueError otherwise."""
        match = _PERIOD.match(text)
        if not match:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        """`2026-11`: the form used in commands, dedupe keys, rows and file names."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """`2026年11月`."""
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day.year, day.month) == (self.year, self.month)

    def next(self) -> MonthPeriod:
        return MonthPeriod(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> MonthPeriod:
        return MonthPeriod(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants: local midnight of the 1st to the next month's 1st."""
        nxt = self.next()
        start = datetime(self.year, self.month, 1, tzinfo=tz).astimezone(UTC)
        end = datetime(nxt.year, nxt.month, 1, tzinfo=tz).astimezone(UTC)
        return start, end
