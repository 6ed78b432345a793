"""How the bot writes dates, times and durations (2026年12月1日（周二）, 09:00, 2小时15分)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = "一二三四五六日"


def fmt_date(day: date, *, weekday: bool = True, year: bool = True) -> str:
    text = f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"
    return f"{text}（周{WEEKDAYS[day.weekday()]}）" if weekday else text


def fmt_time(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%H:%M")


def fmt_datetime(when: datetime, tz: ZoneInfo, *, year: bool = False, weekday: bool = False) -> str:
    """`11月28日 09:14` (local time); with year=True `2026年11月28日 09:14`."""
    local = when.astimezone(tz)
    return f"{fmt_date(local.date(), weekday=weekday, year=year)} {local:%H:%M}"


def fmt_duration(delta: timedelta) -> str:
    """`2小时15分钟`, `3天2小时`, `16分钟`, `不足1分钟`: as people write it (issue 14)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "不足1分钟"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}天")
    if hours:
        parts.append(f"{hours}小时")
    if mins and not days:
        parts.append(f"{mins}分钟")
    return "".join(parts) or f"{days}天"
