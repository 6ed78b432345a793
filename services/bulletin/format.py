"""Chinese formatting shared by the bulletin's renderers: rates, changes, section numbers.

Dates, times and durations are written by services/timefmt.py, as everywhere in the bot; the
helpers here only add the bulletin's `—` for a missing figure and its rounding.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from services.timefmt import fmt_datetime, fmt_duration

DASH = "—"
_DIGITS = "零一二三四五六七八九"


def minutes_text(minutes: float | None) -> str:
    """`18分`, `2小时15分`, `3天2小时`; `—` when there is no figure."""
    if minutes is None:
        return DASH
    # Figures are medians of fractional minutes: round half-up, then write as the chat does.
    whole = int(Decimal(str(minutes)).quantize(Decimal(1), ROUND_HALF_UP))
    return fmt_duration(timedelta(minutes=whole))


def rate_text(rate: Decimal | None) -> str:
    """`86.0%`; `—` when there is no figure."""
    return DASH if rate is None else f"{rate}%"


def local_text(moment: datetime | None, tz: ZoneInfo, *, year: int | None = None) -> str:
    """`12月1日 09:20` in the office's time zone (with the year when it is not `year`); `—`."""
    if moment is None:
        return DASH
    return fmt_datetime(moment, tz, year=moment.astimezone(tz).year != year)


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
