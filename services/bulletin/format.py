"""Chinese formatting shared by the bulletin's renderers: durations, rates, dates, changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from models.bulletin import Bulletin, HeadlineFigures
from services.timefmt import fmt_datetime

DASH = "—"
_DIGITS = "零一二三四五六七八九"
_WEEKDAYS = "一二三四五六日"


def minutes_text(minutes: float | None) -> str:
    """`18分`, `2小时15分`, `3天2小时`; `—` when there is no figure."""
    if minutes is None:
        return DASH
    whole = int(Decimal(str(minutes)).quantize(Decimal(1), ROUND_HALF_UP))
    if whole < 1:
        return "不足1分钟"
    if whole < 60:
        return f"{whole}分"
    hours, mins = divmod(whole, 60)
    if hours < 24:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    days, hours = divmod(hours, 24)
    return f"{days}天{hours}小时" if hours else f"{days}天"


def rate_text(rate: Decimal | None) -> str:
    """`86.0%`; `—` when there is no figure."""
    return DASH if rate is None else f"{rate}%"


def date_text(day: date) -> str:
    """`2026年12月31日`, as the date of a government document."""
    return f"{day.year}年{day.month}月{day.day}日"


def date_weekday_text(day: date) -> str:
    """`2026年12月1日（周二）`."""
    return f"{date_text(day)}（周{_WEEKDAYS[day.weekday()]}）"


def local_text(moment: datetime | None, tz: ZoneInfo, *, year: int | None = None) -> str:
    """`12月1日 09:20` in the office's time zone (with the year when it is not `year`); `—`."""
    if moment is None:
        return DASH
    return fmt_datetime(moment, tz, year=moment.astimezone(tz).year != year)


def short_local_text(moment: datetime, tz: ZoneInfo) -> str:
    """`12月1日 09:20`."""
    return fmt_datetime(moment, tz)


def chinese_number(n: int) -> str:
    """1..99 as Chinese numerals for section headings: 一, 十, 十二, 二十一."""
    if not 1 <= n <= 99:
        raise ValueError(f"section number out of range: {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


def count_change(current: int, previous: int | None) -> str:
    """`↑3`, `↓2`, `持平`; `—` without a previous month."""
    if previous is None:
        return DASH
    diff = current - previous
    if diff == 0:
        return "持平"
    return f"↑{diff}" if diff > 0 else f"↓{-diff}"


def rate_change(current: Decimal | None, previous: Decimal | None) -> str:
    """`↑2.5个百分点`; `—` when either month has no rate."""
    if current is None or previous is None:
        return DASH
    diff = current - previous
    if diff == 0:
        return "持平"
    return f"↑{diff}个百分点" if diff > 0 else f"↓{-diff}个百分点"


def minutes_change(current: float | None, previous: float | None) -> str:
    """`↓12分`, `↑1小时5分`; `—` when either month has no figure."""
    if current is None or previous is None:
        return DASH
    diff = round(current - previous)
    if diff == 0:
        return "持平"
    return f"↑{minutes_text(diff)}" if diff > 0 else f"↓{minutes_text(-diff)}"


@dataclass(frozen=True)
class HeadlineRow:
    """One headline indicator as text: label, this month, last month, change."""

    label: str
    current: str
    previous: str
    change: str


def headline_rows(bulletin: Bulletin) -> list[HeadlineRow]:
    """The headline indicators in reading order, with last month and the change."""
    cur = bulletin.current
    prev: HeadlineFigures | None = bulletin.previous

    def counted(label: str, field: str) -> HeadlineRow:
        now_value: int = getattr(cur, field)
        before: int | None = None if prev is None else getattr(prev, field)
        return HeadlineRow(
            label,
            str(now_value),
            DASH if before is None else str(before),
            count_change(now_value, before),
        )

    return [
        counted("吹哨隐患（起）", "whistled"),
        counted("已结案（起）", "closed"),
        counted("未结案（起）", "open"),
        counted("其中超期（起）", "overdue"),
        HeadlineRow(
            "报到用时中位数",
            minutes_text(cur.median_ack_minutes),
            DASH if prev is None else minutes_text(prev.median_ack_minutes),
            minutes_change(
                cur.median_ack_minutes, None if prev is None else prev.median_ack_minutes
            ),
        ),
        HeadlineRow(
            "按时报到率",
            rate_text(cur.on_time_rate),
            DASH if prev is None else rate_text(prev.on_time_rate),
            rate_change(cur.on_time_rate, None if prev is None else prev.on_time_rate),
        ),
        counted("升级（次）", "escalations"),
        counted("核查未通过重新处置（次）", "reopened"),
        counted("月报按时报送（份）", "reports_on_time"),
        counted("月报逾期报送（份）", "reports_late"),
        counted("月报未报送（份）", "reports_missing"),
    ]
