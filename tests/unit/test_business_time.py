"""Business-hours arithmetic (08:00–20:00 on workdays, Asia/Shanghai) against hand-made cases."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.business_time import BusinessHours
from services.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
HOURS = BusinessHours(WorkdayCalendar.build(max_package_year=2026))


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock moment as the UTC instant the services take and return."""
    return datetime(y, mo, d, h, mi, tzinfo=SH).astimezone(UTC)


def test_shanghai_is_eight_hours_ahead_of_utc() -> None:
    assert sh(2026, 3, 2, 9) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (sh(2026, 3, 2, 10, 15), sh(2026, 3, 2, 10, 15)),  # Monday, inside: itself
        (sh(2026, 3, 2, 8, 0), sh(2026, 3, 2, 8, 0)),  # the window's first instant
        (sh(2026, 3, 2, 7, 59), sh(2026, 3, 2, 8, 0)),  # early morning
        (sh(2026, 3, 2, 20, 0), sh(2026, 3, 3, 8, 0)),  # the end is outside
        (sh(2026, 3, 6, 21, 0), sh(2026, 3, 9, 8, 0)),  # Friday night -> Monday
        (sh(2026, 2, 13, 20, 30), sh(2026, 2, 14, 8, 0)),  # Saturday worked in lieu (春节)
        (sh(2026, 2, 14, 20, 30), sh(2026, 2, 24, 8, 0)),  # over the whole 春节 holiday
        (sh(2026, 9, 30, 23, 0), sh(2026, 10, 8, 8, 0)),  # over 国庆
        (sh(2026, 9, 19, 12, 0), sh(2026, 9, 20, 8, 0)),  # Saturday -> Sunday worked in lieu
    ],
)
def test_next_business_moment(moment: datetime, expected: datetime) -> None:
    assert HOURS.next_business_moment(moment) == expected


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        (sh(2026, 3, 3, 10, 0), timedelta(hours=2), sh(2026, 3, 3, 12, 0)),
        (sh(2026, 3, 3, 19, 0), timedelta(hours=2), sh(2026, 3, 4, 9, 0)),  # the example
        (sh(2026, 3, 6, 19, 0), timedelta(hours=2), sh(2026, 3, 9, 9, 0)),  # over a weekend
        (
            sh(2026, 3, 3, 18, 0),
            timedelta(hours=2),
            sh(2026, 3, 4, 8, 0),
        ),  # ends on 20:00 -> next window
        (sh(2026, 3, 3, 22, 0), timedelta(hours=2), sh(2026, 3, 4, 10, 0)),  # starts at night
        (sh(2026, 2, 13, 19, 0), timedelta(hours=2), sh(2026, 2, 14, 9, 0)),  # into 调休 Saturday
        (sh(2026, 2, 14, 19, 0), timedelta(hours=2), sh(2026, 2, 24, 9, 0)),  # over 春节
        (sh(2026, 9, 30, 19, 30), timedelta(minutes=45), sh(2026, 10, 8, 8, 15)),  # over 国庆
        (sh(2026, 3, 3, 10, 0), timedelta(0), sh(2026, 3, 3, 10, 0)),
        (sh(2026, 3, 7, 10, 0), timedelta(0), sh(2026, 3, 9, 8, 0)),  # Saturday: zero still waits
        (sh(2026, 3, 3, 10, 0), timedelta(hours=30), sh(2026, 3, 5, 16, 0)),  # 10+12+8
    ],
)
def test_add_business_time(start: datetime, delta: timedelta, expected: datetime) -> None:
    assert HOURS.add_business_time(start, delta) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Inside the window: the same clock time on the next workday.
        (sh(2026, 3, 3, 15, 0), sh(2026, 3, 4, 15, 0)),
        (sh(2026, 3, 6, 15, 0), sh(2026, 3, 9, 15, 0)),  # Friday -> Monday
        (sh(2026, 2, 13, 15, 0), sh(2026, 2, 14, 15, 0)),  # Friday -> 调休 Saturday
        (sh(2026, 9, 30, 15, 0), sh(2026, 10, 8, 15, 0)),  # over 国庆
        # Outside: a whole window of business time, so the department gets a full day.
        (sh(2026, 3, 7, 10, 0), sh(2026, 3, 10, 8, 0)),  # Saturday -> all of Monday -> Tuesday
        (sh(2026, 3, 3, 6, 0), sh(2026, 3, 4, 8, 0)),  # before opening: all of Tuesday
        (sh(2026, 3, 3, 22, 0), sh(2026, 3, 5, 8, 0)),  # after closing: all of Wednesday
    ],
)
def test_one_workday_is_one_full_window(start: datetime, expected: datetime) -> None:
    assert HOURS.workday_length == timedelta(hours=12)
    assert HOURS.add_workdays(start, 1) == expected


def test_business_time_between_counts_only_windows() -> None:
    assert HOURS.business_time_between(sh(2026, 3, 6, 19, 0), sh(2026, 3, 9, 9, 0)) == timedelta(
        hours=2
    )
    assert HOURS.business_time_between(sh(2026, 2, 14, 8, 0), sh(2026, 2, 24, 8, 0)) == timedelta(
        hours=12
    )
    assert HOURS.business_time_between(sh(2026, 3, 9, 9, 0), sh(2026, 3, 6, 9, 0)) == timedelta(0)


def test_is_business_moment() -> None:
    assert HOURS.is_business_moment(sh(2026, 9, 20, 8, 0))  # Sunday worked in lieu
    assert not HOURS.is_business_moment(sh(2026, 10, 5, 10, 0))  # 国庆
    assert not HOURS.is_business_moment(sh(2026, 3, 2, 20, 0))


def test_other_window_and_timezone() -> None:
    utc_hours = BusinessHours(HOURS.calendar, tz=UTC, start=time(9, 0), end=time(17, 0))
    monday_night = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    assert utc_hours.add_business_time(monday_night, timedelta(hours=2)) == datetime(
        2026, 3, 3, 10, 0, tzinfo=UTC
    )
    assert utc_hours.workday_length == timedelta(hours=8)


def test_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="naive"):
        HOURS.next_business_moment(datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError, match="negative"):
        HOURS.add_business_time(sh(2026, 3, 2, 9), timedelta(hours=-1))
    with pytest.raises(ValueError, match="start before"):
        BusinessHours(HOURS.calendar, start=time(20, 0), end=time(8, 0))


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
deltas = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=6))


@given(moments, deltas)
def test_added_time_is_inside_hours_and_measures_back(start: datetime, delta: timedelta) -> None:
    result = HOURS.add_business_time(start, delta)
    assert HOURS.is_business_moment(result)
    assert result >= start
    assert HOURS.business_time_between(start, result) == delta


@given(moments)
def test_next_business_moment_is_the_earliest(moment: datetime) -> None:
    found = HOURS.next_business_moment(moment)
    assert HOURS.is_business_moment(found)
    assert found >= moment
    if found > moment:
        assert HOURS.business_time_between(moment, found) == timedelta(0)
        assert not HOURS.is_business_moment(found - timedelta(microseconds=1))
