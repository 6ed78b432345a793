"""The reminder "when" language: parsing, errors, and 2026 occurrences written out by hand.

Expected dates come from the official 2026 calendar (see test_workdays.py for the notice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from models.calendar_schema import OfficeCalendar
from models.schedule import (
    ON_THE_DAY,
    Adjust,
    FixedDate,
    LeadTime,
    LeadUnit,
    MonthlyDay,
    MonthlyWorkday,
    ScheduleSpec,
    WeeklyDay,
    WeeklyWorkday,
    YearlyDay,
    YearlyWorkday,
)
from services.schedule_rules import (
    ACCEPTED_FORMS_ZH,
    ScheduleParseError,
    describe_lead,
    describe_schedule,
    next_occurrence,
    occurrences,
    parse_lead,
    parse_leads,
    parse_schedule,
    period_label,
)
from services.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkdayCalendar.build(max_package_year=2026)
D = date
YEAR_2026 = (D(2026, 1, 1), D(2026, 12, 31))


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH).astimezone(UTC)


def due_dates(text: str, start: date = YEAR_2026[0], end: date = YEAR_2026[1]) -> dict[str, date]:
    return {o.period: o.due_date for o in occurrences(parse_schedule(text), CAL, SH, start, end)}


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("每月第一个工作日 09:00", MonthlyWorkday(n=1, at=time(9, 0))),
        ("每月最后一个工作日 16:00", MonthlyWorkday(n=-1, at=time(16, 0))),
        ("每月第3个工作日 09:00", MonthlyWorkday(n=3, at=time(9, 0))),
        ("每月倒数第二个工作日 10:30", MonthlyWorkday(n=-2, at=time(10, 30))),
        ("每月20日 09:00（非工作日顺延）", MonthlyDay(day=20, adjust=Adjust.NEXT, at=time(9, 0))),
        ("每月20日 09:00（非工作日提前）", MonthlyDay(day=20, adjust=Adjust.PREV, at=time(9, 0))),
        ("每月20日（非工作日顺延）09:00", MonthlyDay(day=20, adjust=Adjust.NEXT, at=time(9, 0))),
        ("每月25日（非工作日提前）", MonthlyDay(day=25, adjust=Adjust.PREV)),
        ("每月二十五号 遇节假日提前", MonthlyDay(day=25, adjust=Adjust.PREV)),
        ("每周一 09:00", WeeklyDay(weekday=0, at=time(9, 0))),
        ("每星期五 下午4点半", WeeklyDay(weekday=4, at=time(16, 30))),
        ("每周日 9点", WeeklyDay(weekday=6, at=time(9, 0))),
        ("每周第一个工作日 09:00", WeeklyWorkday(n=1, at=time(9, 0))),
        ("每周最后一个工作日 16:00", WeeklyWorkday(n=-1, at=time(16, 0))),
        ("每年3月第一个工作日 09:00", YearlyWorkday(month=3, n=1, at=time(9, 0))),
        (
            "每年十二月20日 09:00（非工作日顺延）",
            YearlyDay(month=12, day=20, adjust=Adjust.NEXT, at=time(9, 0)),
        ),
        ("2026-12-15 09:00", FixedDate(on=D(2026, 12, 15), at=time(9, 0))),
        ("2026年12月15日 9:00", FixedDate(on=D(2026, 12, 15), at=time(9, 0))),
        # Typed with a Chinese input method: full-width digits, colon, brackets and spaces.
        (
            "每月２０日　０９：００（非工作日顺延）",
            MonthlyDay(day=20, adjust=Adjust.NEXT, at=time(9, 0)),
        ),
    ],
)
def test_parses_the_clerks_forms(text: str, spec: ScheduleSpec) -> None:
    assert parse_schedule(text) == spec


def test_yaml_date_objects_are_accepted() -> None:
    # Unquoted `2026-12-15` in YAML arrives as a date.
    assert parse_schedule(D(2026, 12, 15)) == FixedDate(on=D(2026, 12, 15))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("每月32日 09:00", "日期须在1至31日之间"),
        ("每月0日", "日期须从1日起"),
        ("每年13月1日", "月份须在1至12之间"),
        ("每年2月30日", "2月没有30日"),
        ("每月第0个工作日", "工作日序号须在1至10之间"),
        ("每月第11个工作日", "工作日序号须在1至10之间"),
        ("2026-02-30 09:00", "日期或序号无效"),
        ("每月20日 24:00", "时间 24:00 无效"),
        ("每月20日 09:75", "时间 9:75 无效"),
        ("每周八 09:00", "不是可识别的日期写法"),
        ("每天 09:00", "不是可识别的日期写法"),
        ("09:00", "缺少日期部分"),
        ("", "内容为空"),
        ("每月第一个工作日（非工作日顺延）", "无需“顺延/提前”"),
        ("每周一（非工作日顺延）", "每周第一个工作日"),
        ("每月20日（非工作日顺延）（非工作日提前）", "只能写一次"),
    ],
)
def test_rejects_with_a_reason_and_the_accepted_forms(text: str, reason: str) -> None:
    with pytest.raises(ScheduleParseError) as info:
        parse_schedule(text)
    assert reason in info.value.reason_zh
    assert ACCEPTED_FORMS_ZH in info.value.message_zh
    assert info.value.message_en.startswith("cannot read")
    assert "每月第一个工作日 09:00" in str(info.value)


def test_non_text_is_rejected() -> None:
    with pytest.raises(ScheduleParseError, match="须为文字"):
        parse_schedule(20)


def test_require_time() -> None:
    with pytest.raises(ScheduleParseError, match="缺少时间"):
        parse_schedule("每月第一个工作日", require_time=True)
    assert parse_schedule("每月第一个工作日 9:00", require_time=True).at == time(9, 0)


# -- lead times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("当天", ON_THE_DAY),
        ("当日", ON_THE_DAY),
        ("3个工作日", LeadTime(amount=3, unit=LeadUnit.WORKDAYS)),
        ("提前三个工作日", LeadTime(amount=3, unit=LeadUnit.WORKDAYS)),
        ("1天", LeadTime(amount=1, unit=LeadUnit.DAYS)),
        ("2天前", LeadTime(amount=2, unit=LeadUnit.DAYS)),
        ("2小时", LeadTime(amount=2, unit=LeadUnit.HOURS)),
        ("当天 08:30", LeadTime(amount=0, unit=LeadUnit.DAYS, at=time(8, 30))),
        ("3个工作日 16:00", LeadTime(amount=3, unit=LeadUnit.WORKDAYS, at=time(16, 0))),
    ],
)
def test_parses_lead_times(text: str, lead: LeadTime) -> None:
    assert parse_lead(text) == lead
    assert parse_lead(describe_lead(lead)) == lead


def test_lead_lists() -> None:
    three_and_day = (LeadTime(amount=3, unit=LeadUnit.WORKDAYS), ON_THE_DAY)
    assert parse_leads(["3个工作日", "当天"]) == three_and_day
    assert parse_leads("3个工作日、当天") == three_and_day
    assert parse_leads(None) == (ON_THE_DAY,)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0个工作日", "提前量须在1至20之间"),
        ("100天", "提前量须在1至60之间"),
        ("2小时 09:00", "不能另设时间"),
        ("下周", "不是可识别的提前量"),
        (["当天", "当日"], "提前量有重复"),
        ([], "提前量为空"),
        ([3], "须为文字"),
        (3, "须为列表或文字"),
    ],
)
def test_rejects_bad_lead_times(raw: object, reason: str) -> None:
    with pytest.raises(ScheduleParseError) as info:
        parse_leads(raw)
    assert reason in info.value.reason_zh
    assert "N个工作日" in info.value.message_zh


# -- 2026 occurrences -------------------------------------------------------------------------


def test_first_workday_of_each_month_2026_at_nine_shanghai() -> None:
    found = occurrences(parse_schedule("每月第一个工作日 09:00"), CAL, SH, *YEAR_2026)
    assert [(o.period, o.due_date) for o in found] == [
        ("2026-01", D(2026, 1, 4)),
        ("2026-02", D(2026, 2, 2)),
        ("2026-03", D(2026, 3, 2)),
        ("2026-04", D(2026, 4, 1)),
        ("2026-05", D(2026, 5, 6)),
        ("2026-06", D(2026, 6, 1)),
        ("2026-07", D(2026, 7, 1)),
        ("2026-08", D(2026, 8, 3)),
        ("2026-09", D(2026, 9, 1)),
        ("2026-10", D(2026, 10, 8)),
        ("2026-11", D(2026, 11, 2)),
        ("2026-12", D(2026, 12, 1)),
    ]
    # 09:00 in Shanghai is 01:00 UTC, and the single default reminder fires at the event.
    assert found[0].due_at == datetime(2026, 1, 4, 1, 0, tzinfo=UTC)
    assert [f.fire_at for f in found[0].fires] == [found[0].due_at]


def test_last_workday_of_each_month_2026() -> None:
    assert list(due_dates("每月最后一个工作日 16:00").values()) == [
        D(2026, 1, 30),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 29),
        D(2026, 6, 30),
        D(2026, 7, 31),
        D(2026, 8, 31),
        D(2026, 9, 30),
        D(2026, 10, 30),
        D(2026, 11, 30),
        D(2026, 12, 31),
    ]


def test_twentieth_or_next_workday_2026() -> None:
    found = due_dates("每月20日 09:00（非工作日顺延）")
    assert found["2026-02"] == D(2026, 2, 24)
    assert found["2026-06"] == D(2026, 6, 22)
    assert found["2026-09"] == D(2026, 9, 20)  # Sunday worked in lieu: no move
    assert found["2026-12"] == D(2026, 12, 21)
    assert [m for m, d in found.items() if d.day == 20] == [
        f"2026-{m:02d}" for m in (1, 3, 4, 5, 7, 8, 9, 10, 11)
    ]


def test_twentieth_or_previous_workday_2026() -> None:
    found = due_dates("每月20日 09:00（非工作日提前）")
    assert found["2026-02"] == D(2026, 2, 14)  # 20–15 off, the 14th is worked
    assert found["2026-06"] == D(2026, 6, 18)
    assert found["2026-12"] == D(2026, 12, 18)


def test_report_deadline_25th_or_previous_workday_with_leads() -> None:
    spec = parse_schedule("每月25日（非工作日提前）")
    leads = parse_leads(["3个工作日", "当天"])
    found = {o.period: o for o in occurrences(spec, CAL, SH, *YEAR_2026, leads=leads)}
    assert {p: o.due_date for p, o in found.items()} == {
        "2026-01": D(2026, 1, 23),
        "2026-02": D(2026, 2, 25),
        "2026-03": D(2026, 3, 25),
        "2026-04": D(2026, 4, 24),
        "2026-05": D(2026, 5, 25),
        "2026-06": D(2026, 6, 25),
        "2026-07": D(2026, 7, 24),
        "2026-08": D(2026, 8, 25),
        "2026-09": D(2026, 9, 24),
        "2026-10": D(2026, 10, 23),
        "2026-11": D(2026, 11, 25),
        "2026-12": D(2026, 12, 25),
    }
    feb = found["2026-02"]
    # Without a clock time the deadline runs to the end of the day.
    assert feb.due_at == sh(2026, 2, 26, 0, 0)
    # Three workdays before 25 Feb: the 24th, then over 春节 to the 调休 Saturday 14th and the 13th.
    assert feb.fire_at(leads[0]) == sh(2026, 2, 13, 9, 0)
    assert feb.fire_at(ON_THE_DAY) == sh(2026, 2, 25, 9, 0)
    assert [f.lead for f in feb.fires] == [leads[0], ON_THE_DAY]
    assert found["2026-05"].fire_at(leads[0]) == sh(2026, 5, 20, 9, 0)
    assert found["2026-09"].fire_at(leads[0]) == sh(2026, 9, 21, 9, 0)


def test_day_and_hour_leads_and_lead_clock_time() -> None:
    spec = parse_schedule("每月第一个工作日 09:00")
    leads = parse_leads(["1天", "2小时", "当天 08:30"])
    jan = occurrences(spec, CAL, SH, D(2026, 1, 1), D(2026, 1, 31), leads=leads)[0]
    assert jan.due_at == sh(2026, 1, 4, 9, 0)
    assert [f.fire_at for f in jan.fires] == [
        sh(2026, 1, 3, 9, 0),  # one calendar day, even though the 3rd is 元旦
        sh(2026, 1, 4, 7, 0),
        sh(2026, 1, 4, 8, 30),
    ]


def test_weekly_first_workday_2026_skips_the_spring_festival_week() -> None:
    found = due_dates("每周第一个工作日 09:00")
    # ISO week 1 of 2026 begins on Monday 29 Dec 2025, so its occurrence is not in 2026.
    assert "2026-W01" not in found
    assert "2026-W08" not in found  # 16–22 Feb: no workday at all
    assert len(found) == 51  # W02..W53 less W08
    assert found["2026-W02"] == D(2026, 1, 5)
    assert found["2026-W07"] == D(2026, 2, 9)
    assert found["2026-W09"] == D(2026, 2, 24)
    assert found["2026-W15"] == D(2026, 4, 7)
    assert found["2026-W19"] == D(2026, 5, 6)
    assert found["2026-W41"] == D(2026, 10, 8)
    assert found["2026-W53"] == D(2026, 12, 28)
    assert sum(d.weekday() == 0 for d in found.values()) == 47  # W09, W15, W19, W41 start later


def test_weekly_last_workday_includes_swapped_weekend_days() -> None:
    found = due_dates("每周最后一个工作日 16:00")
    assert found["2026-W07"] == D(2026, 2, 14)
    assert found["2026-W09"] == D(2026, 2, 28)
    assert found["2026-W38"] == D(2026, 9, 20)
    assert found["2026-W41"] == D(2026, 10, 10)


def test_every_monday_is_every_monday() -> None:
    found = due_dates("每周一 09:00")
    assert len(found) == 52
    assert all(d.weekday() == 0 for d in found.values())
    assert found["2026-W08"] == D(
        2026, 2, 16
    )  # a holiday Monday still counts: use 每周第一个工作日


def test_yearly_and_fixed() -> None:
    yearly = due_dates("每年3月第一个工作日 09:00", D(2026, 1, 1), D(2027, 12, 31))
    # 2027 is unknown to the package here: Monday 1 March 2027 by the fallback.
    assert yearly == {"2026": D(2026, 3, 2), "2027": D(2027, 3, 1)}
    fixed = occurrences(parse_schedule("2026-12-15 09:00"), CAL, SH, *YEAR_2026)
    assert [(o.period, o.due_at) for o in fixed] == [("2026-12-15", sh(2026, 12, 15, 9, 0))]
    assert (
        occurrences(parse_schedule("2026-12-15 09:00"), CAL, SH, D(2027, 1, 1), D(2027, 12, 31))
        == []
    )


def test_day_past_month_end_and_move_into_previous_month() -> None:
    found = due_dates("每月31日 09:00")
    assert found["2026-02"] == D(2026, 2, 28)
    assert found["2026-04"] == D(2026, 4, 30)
    # 1 Jan is 元旦: moved back into December, still the January occurrence; 1 Feb is a
    # Sunday: the February occurrence is due on Friday 30 Jan.
    early = due_dates("每月1日 09:00（非工作日提前）", D(2025, 12, 1), D(2026, 1, 31))
    assert early == {
        "2025-12": D(2025, 12, 1),
        "2026-01": D(2025, 12, 31),
        "2026-02": D(2026, 1, 30),
    }


def test_fallback_year_and_office_supplied_year() -> None:
    spec = parse_schedule("每月第一个工作日 09:00")
    jan_2027 = (D(2027, 1, 1), D(2027, 1, 31))
    assert CAL.missing_years([2027]) == [2027]
    assert [o.due_date for o in occurrences(spec, CAL, SH, *jan_2027)] == [D(2027, 1, 1)]
    office = OfficeCalendar.model_validate(
        {2027: {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03"], "workdays": []}}
    )
    with_office = WorkdayCalendar.build(office, max_package_year=2026)
    assert with_office.missing_years([2027]) == []
    assert [o.due_date for o in occurrences(spec, with_office, SH, *jan_2027)] == [D(2027, 1, 4)]


def test_next_occurrence() -> None:
    spec = parse_schedule("每月第一个工作日 09:00")
    assert next_occurrence(spec, CAL, SH, sh(2026, 1, 5)).period == "2026-02"  # type: ignore[union-attr]
    exact = next_occurrence(spec, CAL, SH, sh(2026, 2, 2, 9, 0))
    assert exact is not None and exact.due_date == D(2026, 2, 2)
    later = next_occurrence(spec, CAL, SH, sh(2026, 2, 2, 9, 1))
    assert later is not None and later.due_date == D(2026, 3, 2)
    fixed = parse_schedule("2026-12-15 09:00")
    assert next_occurrence(fixed, CAL, SH, sh(2026, 12, 15, 9, 1)) is None
    assert next_occurrence(fixed, CAL, SH, sh(2026, 1, 1)).due_date == D(2026, 12, 15)  # type: ignore[union-attr]


def test_other_timezone_moves_the_instant() -> None:
    spec = parse_schedule("2026-12-15 09:00")
    utc_occ = occurrences(spec, CAL, UTC, *YEAR_2026)[0]
    assert utc_occ.due_at == datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("2026-12", "2026年12月"),
        ("2026-01", "2026年1月"),
        ("2026-W49", "2026年第49周"),
        ("2026-W08", "2026年第8周"),
        ("2026", "2026年"),
        ("2026-12-15", "2026年12月15日"),
    ],
)
def test_period_label(period: str, label: str) -> None:
    assert period_label(period) == label


def test_period_label_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_label("2026/12")


# -- properties -------------------------------------------------------------------------------

_TOKENS = list(
    "每月周年第个工作日最后一二三四五六日天号0123456789:：（）() 非顺延提前节假遇点半下午-年月"
)


@given(st.one_of(st.text(max_size=40), st.text(alphabet=_TOKENS, max_size=30)))
@example("每月第十十个工作日")
@example("每年99月1日")
@example("0000-00-00")
@example("每月1日 99点")
def test_random_text_never_crashes_and_rejections_explain(text: str) -> None:
    try:
        spec = parse_schedule(text)
    except ScheduleParseError as err:
        assert err.reason_zh and err.reason_en
        assert ACCEPTED_FORMS_ZH in err.message_zh
        return
    assert parse_schedule(describe_schedule(spec)) == spec


@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet=list("当天日个工作小时提前前0123456789十二三 :"), max_size=12),
    )
)
def test_random_lead_text_never_crashes(text: str) -> None:
    try:
        lead = parse_lead(text)
    except ScheduleParseError as err:
        assert err.reason_zh and "N个工作日" in err.message_zh
        return
    assert parse_lead(describe_lead(lead)) == lead


clock = st.one_of(st.none(), st.builds(time, st.integers(0, 23), st.integers(0, 59)))
adjust = st.sampled_from(Adjust)
ordinal = st.integers(1, 10) | st.integers(-10, -1)
specs: st.SearchStrategy[ScheduleSpec] = st.one_of(
    st.builds(MonthlyWorkday, n=ordinal, at=clock),
    st.builds(MonthlyDay, day=st.integers(1, 31), adjust=adjust, at=clock),
    st.builds(WeeklyDay, weekday=st.integers(0, 6), at=clock),
    st.builds(WeeklyWorkday, n=st.sampled_from([1, -1]), at=clock),
    st.builds(YearlyWorkday, month=st.integers(1, 12), n=ordinal, at=clock),
    st.builds(YearlyDay, month=st.integers(1, 12), day=st.integers(1, 28), adjust=adjust, at=clock),
    st.builds(FixedDate, on=st.dates(D(2020, 1, 1), D(2030, 12, 31)), adjust=adjust, at=clock),
)


@given(specs)
def test_describe_then_parse_gives_the_spec_back(spec: ScheduleSpec) -> None:
    assert parse_schedule(describe_schedule(spec)) == spec


@given(specs, st.dates(D(2025, 6, 1), D(2027, 6, 1)))
def test_occurrences_are_unique_in_range_and_on_workdays_when_asked(
    spec: ScheduleSpec, start: date
) -> None:
    end = date.fromordinal(start.toordinal() + 120)
    found = occurrences(spec, CAL, SH, start, end, leads=parse_leads(["3个工作日", "当天"]))
    assert len({o.period for o in found}) == len(found)
    for occ in found:
        assert start <= occ.due_date <= end
        assert occ.due_at.tzinfo is UTC
        assert all(f.fire_at <= occ.due_at for f in occ.fires)
        if spec.kind.endswith("workday") or getattr(spec, "adjust", Adjust.NONE) is not Adjust.NONE:
            assert CAL.is_workday(occ.due_date)
        period_label(occ.period)
