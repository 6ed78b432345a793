"""Business-hours arithmetic for the escalation ladder (e.g. 08:00–20:00 on workdays).

Inputs and outputs are UTC-aware datetimes; the window is read in the local timezone.

"1 workday" is one full window of business time (12 hours for 08:00–20:00), not "the same
clock time on the next workday". The two agree whenever the clock starts inside business
hours; they differ when it starts outside: a case dispatched on Saturday 10:00 would get only
two business hours under "same clock time next workday" (Monday 10:00), while a full window
gives the department the whole of Monday (escalation on Tuesday 08:00). One window also keeps
a single arithmetic for every ladder step: 2 hours, half a day and 1 workday all add business
time the same way, and the result is always inside business hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from services.workdays import WorkdayCalendar

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_START = time(8, 0)
DEFAULT_END = time(20, 0)


def _require_aware(dt: datetime) -> None:
    """Refuse naive datetimes: the caller must say which instant it means."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {dt!r}")


@dataclass(frozen=True)
class BusinessHours:
    """A daily window of business hours on workdays, in a local timezone."""

    calendar: WorkdayCalendar
    tz: tzinfo = DEFAULT_TZ
    start: time = DEFAULT_START
    end: time = DEFAULT_END

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"business window must start before it ends: {self.start}–{self.end}")

    @property
    def workday_length(self) -> timedelta:
        """The nominal length of one window: what "1 workday" of business time means."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def _window(self, d: date) -> tuple[datetime, datetime]:
        """The UTC start and end of the window on local date `d`."""
        opens = datetime.combine(d, self.start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(d, self.end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def _next_window_start(self, d: date) -> datetime:
        """The UTC start of the first window on a workday strictly after local date `d`."""
        return self._window(self.calendar.next_workday(d, include=False))[0]

    def is_business_moment(self, dt: datetime) -> bool:
        """True if `dt` is inside a window (start inclusive, end exclusive) on a workday."""
        _require_aware(dt)
        local_day = dt.astimezone(self.tz).date()
        if not self.calendar.is_workday(local_day):
            return False
        opens, closes = self._window(local_day)
        return opens <= dt < closes

    def next_business_moment(self, dt: datetime) -> datetime:
        """`dt` itself (in UTC) if inside business hours, else the start of the next window."""
        _require_aware(dt)
        utc = dt.astimezone(UTC)
        local_day = utc.astimezone(self.tz).date()
        if self.calendar.is_workday(local_day):
            opens, closes = self._window(local_day)
            if utc < opens:
                return opens
            if utc < closes:
                return utc
        return self._next_window_start(local_day)

    def add_business_time(self, dt: datetime, delta: timedelta) -> datetime:
        """The moment when `delta` of business time has passed since `dt`.

        A result that would fall exactly on a window's end is moved to the next window's start:
        no business time passes in between, and the ladder must act inside business hours.
        """
        if delta < timedelta(0):
            raise ValueError(f"business time to add must not be negative: {delta}")
        cur = self.next_business_moment(dt)
        remaining = delta
        while True:
            local_day = cur.astimezone(self.tz).date()
            _, closes = self._window(local_day)
            available = closes - cur
            if remaining < available:
                return cur + remaining
            remaining -= available
            cur = self._next_window_start(local_day)

    def add_workdays(self, dt: datetime, n: int) -> datetime:
        """`dt` plus n workdays of business time (n full windows; see the module docstring)."""
        if n < 0:
            raise ValueError(f"workdays to add must not be negative: {n}")
        return self.add_business_time(dt, self.workday_length * n)

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time elapsed from `a` to `b` (zero if b is not after a)."""
        _require_aware(a)
        _require_aware(b)
        cur = self.next_business_moment(a)
        end = b.astimezone(UTC)
        total = timedelta(0)
        while cur < end:
            local_day = cur.astimezone(self.tz).date()
            _, closes = self._window(local_day)
            total += min(closes, end) - cur
            cur = self._next_window_start(local_day)
        return total
