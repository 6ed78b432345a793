from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.timefmt import fmt_date, fmt_datetime, fmt_duration

SH = ZoneInfo("Asia/Shanghai")


def test_dates_as_an_office_writes_them():
    assert fmt_date(date(2026, 12, 1)) == "2026年12月1日（周二）"
    assert fmt_datetime(datetime(2026, 11, 28, 1, 14, tzinfo=UTC), SH) == "11月28日 09:14"


def test_durations():
    assert fmt_duration(timedelta(hours=2, minutes=15)) == "2小时15分"
    assert fmt_duration(timedelta(minutes=45)) == "45分"
    assert fmt_duration(timedelta(days=3, hours=2, minutes=5)) == "3天2小时"
    assert fmt_duration(timedelta(seconds=30)) == "不足1分钟"
