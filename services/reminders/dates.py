"""Dates typed by people in chat (12月1日, 2026-12-01, 12/1, 今天, with an optional 15:00)."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import date, time, timedelta

from services.errors import Refusal
from services.schedule_rules import ScheduleParseError, split_clock_time

_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "昨天": -1, "昨日": -1}
_RELATIVE |= {"前天": -2}
_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_SHORT = re.compile(r"(\d{1,2})\s*(?:月|/)\s*(\d{1,2})\s*[日号]?")
HELD_DATE_HELP = "请回复召开日期，例如 12月1日、2026-12-01、12/1，或“今天”“昨天”。"
POSTPONE_DATE_HELP = "请回复改期后的日期，例如 12月8日、12月8日 15:00、2026-12-08，或“明天”。"


def parse_day(text: str, today: date, *, future: bool) -> tuple[date, time | None]:
    """A date (and optional time) typed in chat; Refusal with the accepted forms otherwise."""
    help_text = POSTPONE_DATE_HELP if future else HELD_DATE_HELP
    try:
        body, at = split_clock_time(text)
    except ScheduleParseError:
        raise Refusal(f"时间写法有误。{help_text}") from None
    body = unicodedata.normalize("NFKC", body).replace(" ", "")
    day: date | None = None
    try:
        if body in _RELATIVE:
            day = today + timedelta(days=_RELATIVE[body])
        elif m := _FULL.fullmatch(body):
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif m := _SHORT.fullmatch(body):
            # Without a year: the nearest such date (12月28日 typed on 1 January is last year's).
            month, dom = int(m.group(1)), int(m.group(2))
            candidates = []
            for year in (today.year - 1, today.year, today.year + 1):
                with contextlib.suppress(ValueError):  # 2月29日 exists in some years only
                    candidates.append(date(year, month, dom))
            if not candidates:
                raise ValueError(body)
            day = min(candidates, key=lambda d: abs((d - today).days))
    except ValueError:
        raise Refusal(f"日期“{text.strip()[:20]}”不存在。{help_text}") from None
    if day is None:
        raise Refusal(f"未能识别日期“{text.strip()[:20]}”。{help_text}")
    return day, at
