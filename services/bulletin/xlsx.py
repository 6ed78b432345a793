"""The month's ledger (台账) as an Excel workbook: cases with every timestamp, reports, figures."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from models.bulletin import Bulletin
from services.bulletin.format import DASH
from services.bulletin.headline import sheet_rows

Cell = str | int | float | datetime | None
TIME_FORMAT = "yyyy-mm-dd hh:mm"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_WIDTH_SAMPLE = 500


def local_minute(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """The office-time wall clock to the minute, as Excel stores it (no time zone)."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)


def _clean(value: Cell) -> Cell:
    """Drop the control characters Excel refuses (they can arrive in typed answers)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _display_width(value: Cell) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2026-12-01 09:20")
    text = str(value)
    widest = max(text.split("\n"), key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in widest)


class _Book:
    """An XlsxWriter workbook streamed row by row (several times faster than openpyxl for a
    month's ledger of thousands of cases); the result is read back with openpyxl in tests."""

    def __init__(self, title: str, creator: str) -> None:
        self.buf = io.BytesIO()
        self.wb = xlsxwriter.Workbook(
            self.buf, {"constant_memory": True, "in_memory": True, "strings_to_formulas": False}
        )
        self.wb.set_properties({"title": title, "author": creator})
        self.header = self.wb.add_format(
            {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        self.time = self.wb.add_format({"num_format": TIME_FORMAT})

    def sheet(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
        """Widths fitted to the content, a frozen bold header, then the rows."""
        ws = self.wb.add_worksheet(title)
        widths = [_display_width(h) for h in headers]
        # The first rows are a fair sample for column widths; measuring 8,000 rows is not.
        for row in rows[:_WIDTH_SAMPLE]:
            for i, value in enumerate(row):
                widths[i] = max(widths[i], _display_width(value))
        for i, width in enumerate(widths):
            ws.set_column(i, i, min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH))
        ws.freeze_panes(1, 0)
        for c, h in enumerate(headers):
            ws.write_string(0, c, str(_clean(h)), self.header)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                self._write(ws, r, c, value)

    def _write(self, ws: Any, r: int, c: int, value: Cell) -> None:
        if value is None:
            return
        if isinstance(value, datetime):
            ws.write_datetime(r, c, value, self.time)
        elif isinstance(value, str):
            # Typed answers stay text: `=HYPERLINK(...)` from a form must not become a formula.
            ws.write_string(r, c, ILLEGAL_CHARACTERS_RE.sub("", value))
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value)
        else:
            ws.write_number(r, c, value)

    def bytes(self) -> bytes:
        self.wb.close()
        return self.buf.getvalue()


def _safe_title(title: str, taken: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\, at most 31 characters, unique in the workbook."""
    base = _SHEET_FORBIDDEN.sub("_", title).strip("'") or "表"
    name, n = base[:31], 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _minutes(value: float | None) -> float | str:
    return DASH if value is None else round(value, 1)


def _rate(value: Decimal | None) -> float | str:
    return DASH if value is None else float(value)


def render_xlsx(b: Bulletin) -> bytes:
    """The ledger as .xlsx bytes."""
    tz = b.zone
    wb = _Book(f"{b.period.label}消防网格化工作台账", b.office)
    taken: set[str] = set()
    if b.before_records:
        # Nothing was recorded: sheets of zeros would read as figures that were checked.
        wb.sheet("说明", ["说明"], [[note] for note in b.notes] or [["本月无业务记录。"]])
        return wb.bytes()

    wb.sheet(
        _safe_title("汇总", taken),
        ["指标", "本月", "上月", "变化"],
        sheet_rows(b),
    )

    # One pair of columns per department that had any case, in the order the bulletin lists them.
    order = [r.department_key for r in b.response]
    names = {r.department_key: r.department for r in b.response}
    for case in b.cases:
        for d in case.departments:
            if d.department_key not in names:
                order.append(d.department_key)
                names[d.department_key] = d.department
    headers = [
        "案件编号",
        "类别",
        "区域",
        "地点",
        "紧急程度",
        "上报人",
        "状态",
        "吹哨时间",
        "派遣时间",
    ]
    for key in order:
        headers += [f"{names[key]}报到时间", f"{names[key]}处置时间"]
    headers += ["核查时间", "结案时间", "重新处置次数", "描述"]
    case_rows: list[list[Cell]] = []
    for case in b.cases:
        times = {d.department_key: d for d in case.departments}
        row: list[Cell] = [
            case.number,
            case.category,
            case.area,
            case.address,
            "紧急" if case.urgent else "一般",
            case.reporter,
            case.status,
            local_minute(case.whistled_at, tz),
            local_minute(case.dispatched_at, tz),
        ]
        for key in order:
            mine = times.get(key)
            # Blank: not this department's case; a dash: its case, not (yet) done.
            if mine is None:
                row += [None, None]
            else:
                row += [
                    local_minute(mine.acked_at, tz) or DASH,
                    local_minute(mine.resolved_at, tz) or DASH,
                ]
        row += [
            local_minute(case.verified_at, tz),
            local_minute(case.closed_at, tz),
            case.reopened,
            case.description,
        ]
        case_rows.append(row)
    wb.sheet(_safe_title("案件台账", taken), headers, case_rows)

    wb.sheet(
        _safe_title("部门响应", taken),
        [
            "部门",
            "派遣",
            "报到",
            "按时报到",
            "按时报到率（%）",
            "报到用时中位数（分钟）",
            "报到用时90%分位（分钟）",
            "处置用时中位数（分钟）",
            "被升级案件",
            "重新处置",
            "升级时限（分钟）",
        ],
        [
            [
                r.department,
                r.cases,
                r.acks,
                r.acks_on_time,
                _rate(r.on_time_rate),
                _minutes(r.median_ack_minutes),
                _minutes(r.p90_ack_minutes),
                _minutes(r.median_resolve_minutes),
                r.escalations,
                r.reopened,
                _minutes(r.ack_limit_minutes),
            ]
            for r in b.response
        ],
    )
    hz = b.hazards
    tallies = (
        [("类别", t) for t in hz.by_category]
        + [("区域", t) for t in hz.by_area]
        + [("部门", t) for t in hz.by_department]
    )
    wb.sheet(
        _safe_title("隐患统计", taken),
        ["维度", "名称", "吹哨", "已结案", "未结案", "超期"],
        [[dim, t.name, t.whistled, t.closed, t.open, t.overdue] for dim, t in tallies],
    )
    wb.sheet(
        _safe_title("月报报送", taken),
        ["部门", "报告", "报送情况", "报送时间", "报送人"],
        [
            [
                r.department,
                r.form,
                r.status.label,
                local_minute(r.submitted_at, tz),
                r.submitted_by or DASH,
            ]
            for r in b.reports
        ],
    )
    wb.sheet(
        _safe_title("会议培训检查", taken),
        ["部门", "事项", "应开展", "已开展", "缺少"],
        [[d.department, d.title, d.expected, d.held, d.shortfall] for d in b.duties],
    )
    for form in b.forms:
        wb.sheet(
            _safe_title(form.title, taken),
            ["部门", "报送时间", "报送人", *form.columns],
            [
                [a.department, local_minute(a.submitted_at, tz), a.submitted_by, *a.cells]
                for a in form.rows
            ],
        )
    return wb.bytes()
