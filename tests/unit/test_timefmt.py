from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.bulletin.format import local_text, minutes_text
from services.timefmt import fmt_date, fmt_datetime, fmt_duration

SH = ZoneInfo("Asia/Shanghai")


def test_dates_as_an_office_writes_them():
    assert fmt_date(date(2026, 12, 1)) == "2026年12月1日（周二）"
    assert fmt_datetime(datetime(2026, 11, 28, 1, 14, tzinfo=UTC), SH) == "11月28日 09:14"


def test_durations():
    assert fmt_duration(timedelta(hours=2, minutes=15)) == "2小时15分钟"
    assert fmt_duration(timedelta(minutes=45)) == "45分钟"
    assert fmt_duration(timedelta(days=3, hours=2, minutes=5)) == "3天2小时"
    assert fmt_duration(timedelta(seconds=30)) == "不足1分钟"


@pytest.mark.parametrize("minutes", [0, 0.4, 5, 59, 60, 135, 24 * 60, 3 * 24 * 60 + 120])
def test_the_bulletin_writes_durations_as_the_chat_does(minutes: float):
    assert minutes_text(minutes) == fmt_duration(timedelta(minutes=minutes))


def test_the_bulletin_writes_times_in_the_house_style_with_the_year_only_when_it_differs():
    moment = datetime(2026, 12, 1, 1, 20, tzinfo=UTC)
    assert local_text(moment, SH, year=2026) == "12月1日 09:20"
    assert local_text(moment, SH, year=2027) == "2026年12月1日 09:20"
    assert local_text(None, SH, year=2026) == "—"
