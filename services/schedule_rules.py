"""The reminder "when" language: clerk-editable Chinese phrases -> typed specs -> occurrences."""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from pydantic import TypeAdapter, ValidationError

from models.schedule import (
    FREQUENCY,
    ON_THE_DAY,
    Adjust,
    Fire,
    FixedDate,
    Frequency,
    LeadTime,
    LeadUnit,
    MonthlyDay,
    MonthlyWorkday,
    Occurrence,
    ScheduleSpec,
    WeeklyDay,
    WeeklyWorkday,
    YearlyDay,
    YearlyWorkday,
)
from services.timefmt import WEEKDAYS
from services.workdays import WorkdayCalendar

# A deadline without a clock time is reminded at this time of day.
DEFAULT_FIRE_TIME = time(9, 0)
MAX_LEAD = {LeadUnit.WORKDAYS: 20, LeadUnit.DAYS: 60, LeadUnit.HOURS: 72}
_MAX_TEXT = 200

ACCEPTED_FORMS_ZH = (
    "可用的写法（时间可省略，用于截止日）：\n"
    "· 每月第一个工作日 09:00　· 每月最后一个工作日 16:00　· 每月第3个工作日 09:00\n"
    "· 每月20日 09:00（非工作日顺延）　· 每月25日（非工作日提前）\n"
    "· 每周一 09:00　· 每周第一个工作日 09:00　· 每周最后一个工作日 16:00\n"
    "· 每年3月第一个工作日 09:00　· 每年12月20日 09:00（非工作日顺延）\n"
    "· 2026-12-15 09:00（或 2026年12月15日 09:00）"
)
ACCEPTED_FORMS_EN = (
    "accepted forms: monthly Nth/last workday, monthly day N with optional 非工作日顺延/提前, "
    "weekly weekday, weekly first/last workday, yearly month+workday or month+day, fixed date; "
    "optional time HH:MM"
)
ACCEPTED_LEADS_ZH = (
    "可用的提前量：当天、N个工作日、N天、N小时（如 3个工作日、1天、2小时；可加时间，如 当天 08:30）"
)
ACCEPTED_LEADS_EN = (
    "accepted lead times: 当天 (on the day), N个工作日 (workdays), N天 (days), N小时 (hours)"
)


class ScheduleParseError(ValueError):
    """A schedule or lead-time phrase the parser cannot accept; says why and what would work."""

    def __init__(self, text: str, reason_zh: str, reason_en: str, *, forms: str = "when") -> None:
        accepted_zh, accepted_en = (
            (ACCEPTED_FORMS_ZH, ACCEPTED_FORMS_EN)
            if forms == "when"
            else (ACCEPTED_LEADS_ZH, ACCEPTED_LEADS_EN)
        )
        self.text = text
        self.reason_zh = reason_zh
        self.reason_en = reason_en
        self.message_zh = f"无法识别“{text}”：{reason_zh}\n{accepted_zh}"
        self.message_en = f"cannot read {text!r}: {reason_en}; {accepted_en}"
        super().__init__(f"{self.message_zh}\n{self.message_en}")


# -- lexical helpers --------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(\d{1,4}|[零〇一二两三四五六七八九十]{1,4})"


def _number(token: str) -> int:
    """An Arabic or Chinese numeral below 100 ("3", "十五", "二十一")."""
    if token.isdigit():
        return int(token)
    if "十" not in token:
        if len(token) != 1:
            raise ValueError(token)
        return _CN_DIGITS[token]
    tens, _, ones = token.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        raise ValueError(token)
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _normalize(raw: object, forms: str) -> str:
    """Text as a clerk might type it (full-width digits, brackets, colons) made regular."""
    if isinstance(raw, datetime):
        raw = raw.strftime("%Y-%m-%d %H:%M")
    elif isinstance(raw, date):
        raw = raw.isoformat()
    if not isinstance(raw, str):
        raise ScheduleParseError(
            str(raw),
            "须为文字（请加引号）",
            f"expected text, got {type(raw).__name__}",
            forms=forms,
        )
    text = unicodedata.normalize("NFKC", raw)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ScheduleParseError(raw, "内容为空", "empty text", forms=forms)
    if len(text) > _MAX_TEXT:
        raise ScheduleParseError(
            text[:20] + "…", "内容过长", f"longer than {_MAX_TEXT} characters", forms=forms
        )
    return text


_TIME_COLON = re.compile(r"(?:(上午|早上|下午|晚上)\s*)?(\d{1,2}):(\d{1,2})$")
_TIME_DIAN = re.compile(r"(?:(上午|早上|下午|晚上)\s*)?" + _NUM + r"点(?:" + _NUM + r"分|(半))?$")


def _split_time(text: str, original: str, forms: str) -> tuple[str, time | None]:
    """Cut a trailing clock time (09:00, 9点, 下午4点半) off the text."""
    match = _TIME_COLON.search(text) or _TIME_DIAN.search(text)
    if match is None:
        return text, None
    groups = match.groups()
    try:
        if match.re is _TIME_COLON:
            half, hour, minute = groups[0], int(groups[1]), int(groups[2])
        else:
            half, hour = groups[0], _number(groups[1])
            minute = 30 if groups[3] else (_number(groups[2]) if groups[2] else 0)
    except (ValueError, KeyError) as exc:
        raise ScheduleParseError(original, "时间写法有误", "bad time", forms=forms) from exc
    if half in ("下午", "晚上") and 1 <= hour < 12:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleParseError(
            original,
            f"时间 {hour}:{minute:02d} 无效（应在 00:00 至 23:59 之间）",
            "time out of range 00:00-23:59",
            forms=forms,
        )
    return text[: match.start()].strip(), time(hour, minute)


def split_clock_time(raw: str) -> tuple[str, time | None]:
    """Cut a trailing clock time (09:00, 9点, 下午4点半) off free text; ScheduleParseError if bad."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw)).strip()
    return _split_time(text, text, "when")


# -- the "when" phrase ------------------------------------------------------------------------

_ADJUST = re.compile(
    r"[(\[]?\s*(?:如遇|若遇|遇)?\s*(?:法定节假日|节假日|非工作日|休息日|节假日或周末)\s*"
    r"(?:则|时)?\s*(顺延|提前)\s*[)\]]?"
)
_ORDINAL = r"(?:第" + _NUM + r"个|(首个)|(最后一个|最后1个)|倒数第" + _NUM + r"个)工作日"
_MONTHLY_WORKDAY = re.compile(r"每(?:个)?月" + _ORDINAL)
_MONTHLY_DAY = re.compile(r"每(?:个)?月" + _NUM + r"[日号]")
_WEEKLY_DAY = re.compile(r"每(?:周|星期)(?:星期|周)?([一二三四五六日天1-7])")
_WEEKLY_WORKDAY = re.compile(r"每周(?:(第一个|第1个|首个)|(最后一个|最后1个))工作日")
_YEARLY_WORKDAY = re.compile(r"每年" + _NUM + r"月(?:份)?" + _ORDINAL)
_YEARLY_DAY = re.compile(r"每年" + _NUM + r"月" + _NUM + r"[日号]")
_FIXED_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_FIXED_ZH = re.compile(r"(\d{4})年" + _NUM + r"月" + _NUM + r"[日号]")

_SPEC_ADAPTER: TypeAdapter[ScheduleSpec] = TypeAdapter(ScheduleSpec)


def _ordinal(m: re.Match[str], first_group: int) -> int:
    """The workday ordinal from the four groups of `_ORDINAL` starting at `first_group`."""
    nth, first, last, from_end = m.group(
        first_group, first_group + 1, first_group + 2, first_group + 3
    )
    if first:
        return 1
    if last:
        return -1
    if from_end:
        return -_number(from_end)
    return _number(nth)


def _date_part(body: str) -> dict[str, object] | None:
    """The fields of the date phrase, or None if it matches no accepted form."""
    if m := _MONTHLY_WORKDAY.fullmatch(body):
        return {"kind": "monthly_workday", "n": _ordinal(m, 1)}
    if m := _MONTHLY_DAY.fullmatch(body):
        return {"kind": "monthly_day", "day": _number(m.group(1))}
    if m := _WEEKLY_WORKDAY.fullmatch(body):
        return {"kind": "weekly_workday", "n": 1 if m.group(1) else -1}
    if m := _WEEKLY_DAY.fullmatch(body):
        token = m.group(1)
        weekday = (
            int(token) - 1 if token.isdigit() else (6 if token == "天" else WEEKDAYS.index(token))
        )
        return {"kind": "weekly_day", "weekday": weekday}
    if m := _YEARLY_WORKDAY.fullmatch(body):
        return {"kind": "yearly_workday", "month": _number(m.group(1)), "n": _ordinal(m, 2)}
    if m := _YEARLY_DAY.fullmatch(body):
        return {"kind": "yearly_day", "month": _number(m.group(1)), "day": _number(m.group(2))}
    m = _FIXED_ISO.fullmatch(body) or _FIXED_ZH.fullmatch(body)
    if m:
        year, month, day = (_number(g) for g in m.groups())
        return {"kind": "fixed", "on": date(year, month, day)}
    return None


def parse_schedule(raw: object, *, require_time: bool = False) -> ScheduleSpec:
    """Parse a "when" phrase such as 每月20日 09:00（非工作日顺延）; raises ScheduleParseError."""
    text = _normalize(raw, "when")
    adjust = Adjust.NONE
    found = list(_ADJUST.finditer(text))
    if len(found) > 1:
        raise ScheduleParseError(text, "“顺延/提前”只能写一次", "adjustment given twice")
    if found:
        adjust = Adjust.NEXT if found[0].group(1) == "顺延" else Adjust.PREV
        text_wo = (text[: found[0].start()] + " " + text[found[0].end() :]).strip()
    else:
        text_wo = text
    body, at = _split_time(text_wo, text, "when")
    body = re.sub(r"\s+", "", body)
    if not body:
        raise ScheduleParseError(text, "缺少日期部分", "no date part")
    try:
        fields = _date_part(body)
    except (ValueError, KeyError) as exc:
        # Both a bad numeral ("十十") and an impossible date (2026-02-30) end here.
        raise ScheduleParseError(text, "日期或序号无效", "invalid date or number") from exc
    if fields is None:
        raise ScheduleParseError(text, f"“{body}”不是可识别的日期写法", "unrecognised date phrase")
    if at is None and require_time:
        raise ScheduleParseError(
            text, "缺少时间，请写明如 09:00", "a clock time (HH:MM) is required"
        )
    if adjust is not Adjust.NONE:
        kind = fields["kind"]
        if kind in ("monthly_workday", "weekly_workday", "yearly_workday"):
            raise ScheduleParseError(
                text,
                "按工作日的规则本身就落在工作日，无需“顺延/提前”",
                "workday rules already land on workdays; drop the adjustment",
            )
        if kind == "weekly_day":
            raise ScheduleParseError(
                text,
                "每周规则不支持“顺延/提前”，请改用“每周第一个工作日”或“每周最后一个工作日”",
                "weekly rules take no adjustment; use 每周第一个工作日 / 每周最后一个工作日",
            )
        fields["adjust"] = adjust
    fields["at"] = at
    try:
        return _SPEC_ADAPTER.validate_python(fields)
    except ValidationError as exc:
        reason_en = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        reason_zh = "；".join(_zh_reason(err["loc"], str(err["msg"])) for err in exc.errors())
        raise ScheduleParseError(text, reason_zh, reason_en) from exc


_FIELD_ZH = {"day": "日期须在1至31日之间", "month": "月份须在1至12之间"}


def _zh_reason(loc: tuple[int | str, ...], msg: str) -> str:
    """A Chinese reason for a field that is well-formed but out of range."""
    field = loc[-1] if loc else ""
    if field == "day" and "greater than or equal" in msg:
        return "日期须从1日起"
    if isinstance(field, str) and field in _FIELD_ZH:
        return _FIELD_ZH[field]
    # Model validators already speak Chinese.
    return msg.removeprefix("Value error, ")


# -- lead times -------------------------------------------------------------------------------

_LEAD_ON_DAY = re.compile(r"(?:当天|当日|当日提醒|当天提醒)")
_LEAD_UNIT = re.compile(
    r"(?:提前)?" + _NUM + r"(个工作日|工作日|天|日|个小时|小时|个钟头)(?:前)?(?:提醒)?"
)


def parse_lead(raw: object) -> LeadTime:
    """Parse one lead time (当天, 3个工作日, 1天, 2小时, optionally with a time: 当天 08:30)."""
    text = _normalize(raw, "lead")
    body, at = _split_time(text, text, "lead")
    body = re.sub(r"\s+", "", body)
    if _LEAD_ON_DAY.fullmatch(body):
        return LeadTime(amount=0, unit=LeadUnit.DAYS, at=at)
    m = _LEAD_UNIT.fullmatch(body)
    if m is None:
        raise ScheduleParseError(text, "不是可识别的提前量", "unrecognised lead time", forms="lead")
    try:
        amount = _number(m.group(1))
    except (ValueError, KeyError) as exc:
        raise ScheduleParseError(text, "数字写法有误", "bad number", forms="lead") from exc
    word = m.group(2)
    unit = (
        LeadUnit.WORKDAYS
        if "工作日" in word
        else LeadUnit.HOURS
        if "小时" in word or "钟头" in word
        else LeadUnit.DAYS
    )
    if not 1 <= amount <= MAX_LEAD[unit]:
        raise ScheduleParseError(
            text,
            f"提前量须在1至{MAX_LEAD[unit]}之间（当天请写“当天”）",
            f"amount must be 1..{MAX_LEAD[unit]}",
            forms="lead",
        )
    if unit is LeadUnit.HOURS and at is not None:
        raise ScheduleParseError(
            text, "按小时的提前量不能另设时间", "hour leads take no clock time", forms="lead"
        )
    return LeadTime(amount=amount, unit=unit, at=at)


def parse_leads(raw: object) -> tuple[LeadTime, ...]:
    """Parse a YAML lead list ([3个工作日, 当天]) or one string (3个工作日、当天); None = 当天."""
    if raw is None:
        return (ON_THE_DAY,)
    items: Sequence[object]
    if isinstance(raw, str):
        items = [p for p in re.split(r"[、,，;；]", raw) if p.strip()]
    elif isinstance(raw, list | tuple):
        items = raw
    else:
        raise ScheduleParseError(
            str(raw), "提前量须为列表或文字", "lead times must be a list or text", forms="lead"
        )
    if not items:
        raise ScheduleParseError(str(raw), "提前量为空", "no lead time given", forms="lead")
    leads = tuple(parse_lead(item) for item in items)
    if len(set(leads)) != len(leads):
        raise ScheduleParseError(str(raw), "提前量有重复", "duplicate lead time", forms="lead")
    return leads


# -- rendering --------------------------------------------------------------------------------


def _ordinal_zh(n: int) -> str:
    if n == 1:
        return "第一个"
    if n == -1:
        return "最后一个"
    return f"第{n}个" if n > 0 else f"倒数第{-n}个"


def describe_schedule(spec: ScheduleSpec) -> str:
    """The canonical Chinese phrase of a spec; parsing it gives the same spec back."""
    if isinstance(spec, MonthlyWorkday):
        head = f"每月{_ordinal_zh(spec.n)}工作日"
    elif isinstance(spec, MonthlyDay):
        head = f"每月{spec.day}日"
    elif isinstance(spec, WeeklyDay):
        head = f"每周{WEEKDAYS[spec.weekday]}"
    elif isinstance(spec, WeeklyWorkday):
        head = f"每周{_ordinal_zh(spec.n)}工作日"
    elif isinstance(spec, YearlyWorkday):
        head = f"每年{spec.month}月{_ordinal_zh(spec.n)}工作日"
    elif isinstance(spec, YearlyDay):
        head = f"每年{spec.month}月{spec.day}日"
    else:
        head = spec.on.isoformat()
    if spec.at is not None:
        head += f" {spec.at:%H:%M}"
    adjust = getattr(spec, "adjust", Adjust.NONE)
    if adjust is Adjust.NEXT:
        head += "（非工作日顺延）"
    elif adjust is Adjust.PREV:
        head += "（非工作日提前）"
    return head


def describe_lead(lead: LeadTime) -> str:
    """The canonical Chinese phrase of a lead time (当天, 3个工作日, 1天, 2小时)."""
    if lead.unit is LeadUnit.HOURS:
        return f"{lead.amount}小时"
    if lead.unit is LeadUnit.WORKDAYS:
        text = f"{lead.amount}个工作日"
    else:
        text = "当天" if lead.amount == 0 else f"{lead.amount}天"
    return text if lead.at is None else f"{text} {lead.at:%H:%M}"


_PERIOD_MONTH = re.compile(r"(\d{4})-(\d{2})")
_PERIOD_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_PERIOD_YEAR = re.compile(r"(\d{4})")
_PERIOD_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def period_label(period: str) -> str:
    """The Chinese name of a period key: 2026年12月, 2026年第49周, 2026年, 2026年12月15日."""
    if m := _PERIOD_MONTH.fullmatch(period):
        return f"{int(m.group(1))}年{int(m.group(2))}月"
    if m := _PERIOD_WEEK.fullmatch(period):
        return f"{int(m.group(1))}年第{int(m.group(2))}周"
    if m := _PERIOD_YEAR.fullmatch(period):
        return f"{int(m.group(1))}年"
    if m := _PERIOD_DAY.fullmatch(period):
        return f"{int(m.group(1))}年{int(m.group(2))}月{int(m.group(3))}日"
    raise ValueError(f"unknown period key {period!r}")


def frequency(spec: ScheduleSpec) -> Frequency:
    """How often the spec recurs."""
    return FREQUENCY[spec.kind]


# -- occurrences ------------------------------------------------------------------------------

# Moving off a holiday shifts a date by at most the longest run of days off (春节: 9 days);
# scanning this much beyond the asked range catches every period whose due date falls in it.
_SCAN_MARGIN = timedelta(days=40)


def _months(start: date, end: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def _nominal(
    spec: ScheduleSpec, cal: WorkdayCalendar, start: date, end: date
) -> Iterator[tuple[str, date]]:
    """(period, date the rule names) for every period touching [start, end]."""
    if isinstance(spec, MonthlyWorkday | MonthlyDay):
        for year, month in _months(start, end):
            if isinstance(spec, MonthlyWorkday):
                named = cal.nth_workday_of_month(year, month, spec.n)
            else:
                named = _clamped(year, month, spec.day)
            if named is not None:
                yield f"{year:04d}-{month:02d}", named
    elif isinstance(spec, WeeklyDay | WeeklyWorkday):
        monday = start - timedelta(days=start.weekday())
        while monday <= end:
            iso = monday.isocalendar()
            period = f"{iso.year:04d}-W{iso.week:02d}"
            if isinstance(spec, WeeklyDay):
                yield period, monday + timedelta(days=spec.weekday)
            else:
                found = (
                    cal.first_workday_of_week(monday)
                    if spec.n == 1
                    else cal.last_workday_of_week(monday)
                )
                if found is not None:
                    yield period, found
            monday += timedelta(days=7)
    elif isinstance(spec, YearlyWorkday | YearlyDay):
        for year in range(start.year, end.year + 1):
            if isinstance(spec, YearlyWorkday):
                named = cal.nth_workday_of_month(year, spec.month, spec.n)
            else:
                named = _clamped(year, spec.month, spec.day)
            if named is not None:
                yield f"{year:04d}", named
    else:
        yield spec.on.isoformat(), spec.on


def _adjusted(spec: ScheduleSpec, named: date, cal: WorkdayCalendar) -> date:
    adjust = getattr(spec, "adjust", Adjust.NONE)
    if adjust is Adjust.NEXT:
        return cal.next_workday(named)
    if adjust is Adjust.PREV:
        return cal.prev_workday(named)
    return named


def _local(d: date, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def _fire_at(
    spec: ScheduleSpec,
    lead: LeadTime,
    due_date: date,
    due_at: datetime,
    cal: WorkdayCalendar,
    tz: tzinfo,
) -> datetime:
    if lead.unit is LeadUnit.HOURS:
        return due_at - timedelta(hours=lead.amount)
    clock = lead.at or spec.at or DEFAULT_FIRE_TIME
    if lead.unit is LeadUnit.WORKDAYS:
        return _local(cal.add_workdays(due_date, -lead.amount), clock, tz)
    return _local(due_date - timedelta(days=lead.amount), clock, tz)


def occurrences(
    spec: ScheduleSpec,
    calendar: WorkdayCalendar,
    tz: tzinfo,
    start: date,
    end: date,
    leads: Sequence[LeadTime] = (ON_THE_DAY,),
) -> list[Occurrence]:
    """Every occurrence whose due date (local, after 顺延/提前) is within [start, end].

    A spec without a clock time is due at the end of its day (a deadline: "by the 25th").
    """
    found: list[Occurrence] = []
    for period, named in _nominal(spec, calendar, start - _SCAN_MARGIN, end + _SCAN_MARGIN):
        due_date = _adjusted(spec, named, calendar)
        if not start <= due_date <= end:
            continue
        if spec.at is not None:
            due_at = _local(due_date, spec.at, tz)
        else:
            due_at = _local(due_date + timedelta(days=1), time(0, 0), tz)
        fires = sorted(
            (Fire(lead, _fire_at(spec, lead, due_date, due_at, calendar, tz)) for lead in leads),
            key=lambda f: f.fire_at,
        )
        found.append(Occurrence(period, named, due_date, due_at, tuple(fires)))
    found.sort(key=lambda o: (o.due_at, o.period))
    return found


def next_occurrence(
    spec: ScheduleSpec,
    calendar: WorkdayCalendar,
    tz: tzinfo,
    after: datetime,
    leads: Sequence[LeadTime] = (ON_THE_DAY,),
) -> Occurrence | None:
    """The first occurrence due at or after `after` (UTC-aware); None if there is none left."""
    local_day = after.astimezone(tz).date()
    # A year is enough for every recurring rule; a fixed date is checked directly.
    horizon = (
        spec.on + timedelta(days=31)
        if isinstance(spec, FixedDate)
        else local_day + timedelta(days=400)
    )
    for occ in occurrences(
        spec, calendar, tz, local_day - timedelta(days=1), max(horizon, local_day), leads
    ):
        if occ.due_at >= after:
            return occ
    return None
