"""Workdays against the official 2026 calendar (国务院办公厅 2026年部分节假日安排的通知).

Every expected date below is written out by hand from the notice, not computed by the code:
  元旦   1月1日（周四）至3日放假，1月4日（周日）上班
  春节   2月15日（周日）至23日（周一）放假，2月14日（周六）、2月28日（周六）上班
  清明   4月4日（周六）至6日放假
  劳动节 5月1日（周五）至5日放假，5月9日（周六）上班
  端午   6月19日（周五）至21日放假
  中秋   9月25日（周五）至27日放假
  国庆   10月1日（周四）至7日放假，9月20日（周日）、10月10日（周六）上班
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.calendar_schema import OfficeCalendar, YearDates
from services.workdays import WorkdayCalendar, YearSource

D = date
HOLIDAYS_2026 = (
    [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)]
    + [D(2026, 2, day) for day in range(15, 24)]
    + [D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6)]
    + [D(2026, 5, day) for day in range(1, 6)]
    + [D(2026, 6, 19), D(2026, 6, 20), D(2026, 6, 21)]
    + [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)]
    + [D(2026, 10, day) for day in range(1, 8)]
)
SWAPPED_WORKDAYS_2026 = [
    D(2026, 1, 4),
    D(2026, 2, 14),
    D(2026, 2, 28),
    D(2026, 5, 9),
    D(2026, 9, 20),
    D(2026, 10, 10),
]
FIRST_WORKDAY_2026 = {
    1: D(2026, 1, 4),  # 1-3 元旦; the 4th is a Sunday worked in lieu
    2: D(2026, 2, 2),  # the 1st is a Sunday
    3: D(2026, 3, 2),  # the 1st is a Sunday
    4: D(2026, 4, 1),
    5: D(2026, 5, 6),  # 1-5 劳动节
    6: D(2026, 6, 1),
    7: D(2026, 7, 1),
    8: D(2026, 8, 3),  # 1st Saturday, 2nd Sunday
    9: D(2026, 9, 1),
    10: D(2026, 10, 8),  # 1-7 国庆
    11: D(2026, 11, 2),
    12: D(2026, 12, 1),
}
LAST_WORKDAY_2026 = {
    1: D(2026, 1, 30),  # the 31st is a Saturday
    2: D(2026, 2, 28),  # Saturday worked in lieu for 春节
    3: D(2026, 3, 31),
    4: D(2026, 4, 30),
    5: D(2026, 5, 29),  # the 30th and 31st are a weekend
    6: D(2026, 6, 30),
    7: D(2026, 7, 31),
    8: D(2026, 8, 31),
    9: D(2026, 9, 30),
    10: D(2026, 10, 30),  # the 31st is a Saturday
    11: D(2026, 11, 30),
    12: D(2026, 12, 31),
}


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar.build(max_package_year=2026)


def expected_is_workday_2026(d: date) -> bool:
    """The notice's rule, written independently of the code under test."""
    if d in SWAPPED_WORKDAYS_2026:
        return True
    return d.weekday() < 5 and d not in HOLIDAYS_2026


def days_of(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]


def test_every_day_of_2026_matches_the_notice_and_the_package(cal: WorkdayCalendar) -> None:
    mismatches = [
        d
        for d in days_of(2026)
        if not (cal.is_workday(d) == expected_is_workday_2026(d) == chinese_calendar.is_workday(d))
    ]
    assert mismatches == []
    # 365 days - 104 weekend days - 19 holidays falling on weekdays + 6 swapped weekend days
    assert sum(cal.is_workday(d) for d in days_of(2026)) == 248


@pytest.mark.parametrize("month", range(1, 13))
def test_first_and_last_workday_of_each_month_2026(cal: WorkdayCalendar, month: int) -> None:
    assert cal.first_workday_of_month(2026, month) == FIRST_WORKDAY_2026[month]
    assert cal.last_workday_of_month(2026, month) == LAST_WORKDAY_2026[month]
    assert cal.nth_workday_of_month(2026, month, 1) == FIRST_WORKDAY_2026[month]
    assert cal.nth_workday_of_month(2026, month, -1) == LAST_WORKDAY_2026[month]


def test_spring_festival_2026_week_by_week(cal: WorkdayCalendar) -> None:
    # Week of 9–15 Feb: Mon–Fri and the Saturday 14th worked in lieu, Sunday 15th off.
    assert cal.workdays_of_week(D(2026, 2, 11)) == [D(2026, 2, d) for d in range(9, 15)]
    # Week of 16–22 Feb is entirely off: it has no first workday at all.
    assert cal.workdays_of_week(D(2026, 2, 18)) == []
    assert cal.first_workday_of_week(D(2026, 2, 16)) is None
    assert cal.last_workday_of_week(D(2026, 2, 22)) is None
    # Week of 23 Feb–1 Mar: Monday 23rd is still off; Saturday 28th is worked.
    assert cal.workdays_of_week(D(2026, 3, 1)) == [D(2026, 2, d) for d in range(24, 29)]
    assert cal.first_workday_of_week(D(2026, 2, 23)) == D(2026, 2, 24)
    assert cal.last_workday_of_week(D(2026, 2, 23)) == D(2026, 2, 28)
    assert cal.next_workday(D(2026, 2, 15)) == D(2026, 2, 24)
    assert cal.prev_workday(D(2026, 2, 23)) == D(2026, 2, 14)


def test_national_day_2026_week_by_week(cal: WorkdayCalendar) -> None:
    # Week of 14–20 Sep: Sunday 20th is worked in lieu.
    assert cal.workdays_of_week(D(2026, 9, 14)) == [D(2026, 9, d) for d in (14, 15, 16, 17, 18, 20)]
    # Week of 28 Sep–4 Oct: 1–4 Oct off.
    assert cal.workdays_of_week(D(2026, 10, 1)) == [D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30)]
    # Week of 5–11 Oct: 5–7 off, Thursday 8th back, Saturday 10th worked.
    assert cal.workdays_of_week(D(2026, 10, 5)) == [D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10)]
    assert cal.first_workday_of_week(D(2026, 10, 11)) == D(2026, 10, 8)
    assert cal.last_workday_of_week(D(2026, 10, 11)) == D(2026, 10, 10)
    assert cal.next_workday(D(2026, 9, 30), include=False) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 10, 8), -1) == D(2026, 9, 30)


def test_first_workday_of_other_2026_weeks(cal: WorkdayCalendar) -> None:
    assert cal.first_workday_of_week(D(2026, 1, 1)) == D(2025, 12, 29)  # ISO week 1 starts in 2025
    assert cal.first_workday_of_week(D(2026, 1, 7)) == D(2026, 1, 5)
    assert cal.first_workday_of_week(D(2026, 4, 8)) == D(2026, 4, 7)  # 清明 Monday off
    assert cal.first_workday_of_week(D(2026, 5, 9)) == D(2026, 5, 6)  # 4th, 5th off
    assert cal.first_workday_of_week(D(2026, 6, 21)) == D(2026, 6, 15)


def test_twentieth_or_next_and_twenty_fifth_or_previous_2026(cal: WorkdayCalendar) -> None:
    twentieth = {m: cal.next_workday(D(2026, m, 20)) for m in range(1, 13)}
    assert twentieth == {
        1: D(2026, 1, 20),
        2: D(2026, 2, 24),  # 20–23 off (春节)
        3: D(2026, 3, 20),
        4: D(2026, 4, 20),
        5: D(2026, 5, 20),
        6: D(2026, 6, 22),  # Saturday, 端午
        7: D(2026, 7, 20),
        8: D(2026, 8, 20),
        9: D(2026, 9, 20),  # a Sunday, but worked in lieu
        10: D(2026, 10, 20),
        11: D(2026, 11, 20),
        12: D(2026, 12, 21),  # Sunday
    }
    twenty_fifth = {m: cal.prev_workday(D(2026, m, 25)) for m in range(1, 13)}
    assert twenty_fifth == {
        1: D(2026, 1, 23),  # Sunday
        2: D(2026, 2, 25),
        3: D(2026, 3, 25),
        4: D(2026, 4, 24),  # Saturday
        5: D(2026, 5, 25),
        6: D(2026, 6, 25),
        7: D(2026, 7, 24),  # Saturday
        8: D(2026, 8, 25),
        9: D(2026, 9, 24),  # 中秋
        10: D(2026, 10, 23),  # Sunday
        11: D(2026, 11, 25),
        12: D(2026, 12, 25),
    }


def test_workdays_between_counts_half_open(cal: WorkdayCalendar) -> None:
    assert cal.workdays_between(D(2026, 2, 13), D(2026, 2, 24)) == 2  # 14th and 24th
    assert cal.workdays_between(D(2026, 2, 24), D(2026, 2, 13)) == -2
    assert cal.workdays_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert cal.workdays_between(D(2025, 12, 31), D(2026, 12, 31)) == 248


def test_known_years_and_package_pin(cal: WorkdayCalendar) -> None:
    assert cal.is_known_year(2026)
    assert cal.year_source(2026) is YearSource.PACKAGE
    assert not cal.is_known_year(2027)
    assert cal.year_source(2027) is YearSource.FALLBACK
    assert cal.missing_years(range(2025, 2029)) == [2027, 2028]
    assert cal.missing_years_between(D(2026, 12, 1), D(2027, 2, 1)) == [2027]


def test_year_known_to_nobody_falls_back_to_monday_to_friday(cal: WorkdayCalendar) -> None:
    # 2027-01-01 is a Friday; without the notice the bot cannot know it is 元旦.
    assert cal.is_workday(D(2027, 1, 1))
    assert not cal.is_workday(D(2027, 1, 2))
    assert cal.first_workday_of_month(2027, 1) == D(2027, 1, 1)
    assert cal.first_workday_of_month(2027, 2) == D(2027, 2, 1)  # a Monday
    assert cal.last_workday_of_month(2027, 1) == D(2027, 1, 29)  # 30th Saturday
    assert all(cal.is_workday(d) == (d.weekday() < 5) for d in days_of(2027))
    # The year boundary: from 2026's last workday into the fallback year.
    assert cal.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 1)


OFFICE_2027 = {
    2027: {
        # Dates as an office would copy them from a notice; a hypothetical 2027 here.
        "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-02-08"],
        "workdays": ["2027-02-07"],
    }
}


def test_office_supplied_year_is_used() -> None:
    office = OfficeCalendar.model_validate(OFFICE_2027)
    cal = WorkdayCalendar.build(office, max_package_year=2026)
    assert cal.is_known_year(2027)
    assert cal.year_source(2027) is YearSource.OFFICE
    assert cal.missing_years([2026, 2027, 2028]) == [2028]
    assert not cal.is_workday(D(2027, 1, 1))  # Friday, holiday
    assert cal.is_workday(D(2027, 2, 7))  # Sunday, worked in lieu
    assert not cal.is_workday(D(2027, 2, 8))  # Monday, holiday
    assert cal.first_workday_of_month(2027, 1) == D(2027, 1, 4)
    assert cal.first_workday_of_week(D(2027, 2, 10)) == D(2027, 2, 9)
    assert cal.next_workday(D(2027, 2, 6)) == D(2027, 2, 7)
    # The package's years are untouched.
    assert cal.first_workday_of_month(2026, 1) == D(2026, 1, 4)


def test_office_year_replaces_package_year() -> None:
    office = OfficeCalendar.model_validate({2026: {"holidays": ["2026-03-02"], "workdays": []}})
    cal = WorkdayCalendar.build(office, max_package_year=2026)
    assert cal.year_source(2026) is YearSource.OFFICE
    assert not cal.is_workday(D(2026, 3, 2))
    # The replaced year holds only what the office wrote: 1 Jan (a Thursday) is a weekday again.
    assert cal.is_workday(D(2026, 1, 1))


def test_weekdays_only_calendar_knows_nothing() -> None:
    cal = WorkdayCalendar.weekdays_only()
    assert cal.missing_years([2026]) == [2026]
    assert cal.is_workday(D(2026, 1, 1))
    assert not cal.is_workday(D(2026, 1, 4))


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({2027: {"holidays": ["2026-12-31"]}}, "其他年份"),
        (
            {2027: {"holidays": ["2027-02-08"], "workdays": ["2027-02-08"]}},
            "既是放假日又是调休上班日",
        ),
        ({2027: {"workdays": ["2027-02-09"]}}, "调休上班日应为周六或周日"),
        ({1900: {"holidays": []}}, "超出范围"),
        ({2027: {"holidays": ["2027-02-30"]}}, "date"),
        ({2027: {"holiday": ["2027-01-01"]}}, "holiday"),
    ],
)
def test_office_calendar_rejects_mistakes(
    data: dict[int, dict[str, list[str]]], needle: str
) -> None:
    with pytest.raises(ValidationError) as info:
        OfficeCalendar.model_validate(data)
    assert needle in str(info.value)


def test_year_dates_accepts_date_objects_from_yaml() -> None:
    # PyYAML turns unquoted 2027-01-01 into a date; quoted, it stays text. Both must work.
    dates = YearDates.model_validate({"holidays": [D(2027, 1, 1), "2027-01-02"]})
    assert dates.holidays == [D(2027, 1, 1), D(2027, 1, 2)]


# -- properties -------------------------------------------------------------------------------

CAL = WorkdayCalendar.build(OfficeCalendar.model_validate(OFFICE_2027), max_package_year=2026)
any_day = st.dates(min_value=D(2020, 1, 1), max_value=D(2029, 12, 31))
steps = st.integers(min_value=-40, max_value=40)


@given(any_day, st.booleans())
def test_next_workday_is_the_first_workday_on_or_after(d: date, include: bool) -> None:
    found = CAL.next_workday(d, include=include)
    first = d if include else d + timedelta(days=1)
    assert found >= first
    assert CAL.is_workday(found)
    assert not any(CAL.is_workday(first + timedelta(days=i)) for i in range((found - first).days))


@given(any_day, st.booleans())
def test_prev_workday_is_the_last_workday_on_or_before(d: date, include: bool) -> None:
    found = CAL.prev_workday(d, include=include)
    last = d if include else d - timedelta(days=1)
    assert found <= last
    assert CAL.is_workday(found)
    assert not any(CAL.is_workday(last - timedelta(days=i)) for i in range((last - found).days))


@given(any_day, steps)
def test_add_workdays_lands_on_a_workday_and_counts_back(d: date, n: int) -> None:
    result = CAL.add_workdays(d, n)
    if n == 0:
        assert result == d
        return
    assert CAL.is_workday(result)
    assert (result > d) == (n > 0)
    if n > 0 or CAL.is_workday(d):
        assert CAL.workdays_between(d, result) == n


@given(any_day, steps)
def test_add_workdays_round_trips_from_a_workday(d: date, n: int) -> None:
    start = CAL.next_workday(d)
    assert CAL.add_workdays(CAL.add_workdays(start, n), -n) == start


@given(any_day, any_day)
def test_workdays_between_is_antisymmetric_and_additive(a: date, b: date) -> None:
    assert CAL.workdays_between(a, b) == -CAL.workdays_between(b, a)
    mid = min(a, b) + (max(a, b) - min(a, b)) / 2
    assert CAL.workdays_between(a, mid) + CAL.workdays_between(mid, b) == CAL.workdays_between(a, b)


@given(any_day)
def test_first_workday_of_month_is_a_workday_in_that_month(d: date) -> None:
    first = CAL.first_workday_of_month(d.year, d.month)
    last = CAL.last_workday_of_month(d.year, d.month)
    assert (first.year, first.month) == (last.year, last.month) == (d.year, d.month)
    assert CAL.is_workday(first) and CAL.is_workday(last)
    assert CAL.workdays_between(first, last) == len(CAL.workdays_of_month(d.year, d.month)) - 1
