"""The bulletin's headline figures, each declared once: its name, its unit, how it reads.

A `Figure` knows how to read its value from `HeadlineFigures` and how to show it: as text in
the document's table and the prose of the summary and the document (`7`, `70.0%`, `18分`,
changes `↑2`, `↓30.0个百分点`, `↓4分`), and as a number in the ledger's 汇总 sheet, where
the unit moves into the label (`按时报到率（%）`, `报到用时中位数（分钟）`).

A new headline figure: a field on `CaseHeadline` or `ReportHeadline` (models/bulletin.py),
its value in figures.py, one `Figure` below, and its name in the layouts that show it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from models.bulletin import Bulletin, HeadlineFigures
from services.bulletin.format import (
    DASH,
    count_change,
    minutes_change,
    minutes_text,
    rate_change,
    rate_text,
)

V = TypeVar("V")
Cell = int | float | str


@dataclass(frozen=True)
class Figure(ABC, Generic[V]):
    """One headline figure; `read` takes it from a month's figures."""

    label: str
    read: Callable[[HeadlineFigures], V]

    def value(self, figures: HeadlineFigures | None) -> V | None:
        return None if figures is None else self.read(figures)

    # What each kind of figure says differently.
    @property
    def text_label(self) -> str:
        return self.label

    @property
    def sheet_label(self) -> str:
        return self.label

    @abstractmethod
    def show(self, value: V | None) -> str:
        """The value as text, `—` when there is none."""

    @abstractmethod
    def compare(self, current: V | None, previous: V | None) -> str:
        """The change from `previous` as text, `—` when either is missing."""

    @abstractmethod
    def number(self, value: V | None) -> int | float | None:
        """The value as the sheet's number, None when there is none."""

    # The same for every figure.
    def text(self, figures: HeadlineFigures | None) -> str:
        """This month's (or last month's) figure as text; `—` without that month."""
        return DASH if figures is None else self.show(self.read(figures))

    def change(self, current: HeadlineFigures, previous: HeadlineFigures | None) -> str:
        """`↑2`, `持平`, `↓30.0个百分点`; `—` without a previous month or figure."""
        return self.compare(self.read(current), self.value(previous))

    def cells(self, current: HeadlineFigures, previous: HeadlineFigures | None) -> list[Cell]:
        """The 汇总 sheet's row: label, this month, last month, the difference (numbers)."""
        now, before = self.number(self.read(current)), self.number(self.value(previous))
        change: Cell = DASH if now is None or before is None else round(now - before, 1)
        return [
            self.sheet_label,
            DASH if now is None else now,
            DASH if before is None else before,
            change,
        ]


@dataclass(frozen=True)
class Count(Figure[int]):
    """A number of cases, times or reports: `吹哨隐患（起）` `7`, change `↑2`."""

    unit: str

    @property
    def text_label(self) -> str:
        return f"{self.label}（{self.unit}）"

    @property
    def sheet_label(self) -> str:
        return self.text_label

    def show(self, value: int | None) -> str:
        return DASH if value is None else str(value)

    def compare(self, current: int | None, previous: int | None) -> str:
        return DASH if current is None else count_change(current, previous)

    def number(self, value: int | None) -> int | None:
        return value


@dataclass(frozen=True)
class Rate(Figure[Decimal | None]):
    """A percentage: `按时报到率` `70.0%`, change `↓30.0个百分点`; the sheet: `（%）` 70.0."""

    @property
    def sheet_label(self) -> str:
        return f"{self.label}（%）"

    def show(self, value: Decimal | None) -> str:
        return rate_text(value)

    def compare(self, current: Decimal | None, previous: Decimal | None) -> str:
        return rate_change(current, previous)

    def number(self, value: Decimal | None) -> float | None:
        return None if value is None else float(value)


@dataclass(frozen=True)
class Minutes(Figure[float | None]):
    """A duration in minutes: `报到用时中位数` `18分`, change `↓4分`; the sheet: `（分钟）` 18.0."""

    @property
    def sheet_label(self) -> str:
        return f"{self.label}（分钟）"

    def show(self, value: float | None) -> str:
        return minutes_text(value)

    def compare(self, current: float | None, previous: float | None) -> str:
        return minutes_change(current, previous)

    def number(self, value: float | None) -> float | None:
        return None if value is None else round(value, 1)


WHISTLED = Count("吹哨隐患", lambda f: f.whistled, "起")
CLOSED = Count("已结案", lambda f: f.closed, "起")
OPEN = Count("未结案", lambda f: f.open, "起")
OVERDUE = Count("其中超期", lambda f: f.overdue, "起")
DISPATCHES = Count("派遣部门", lambda f: f.dispatches, "次")
ACKS_ON_TIME = Count("按时报到", lambda f: f.acks_on_time, "次")
AWAITING_ACK = Count("尚在报到时限内", lambda f: f.awaiting_ack, "次")
ON_TIME_RATE = Rate("按时报到率", lambda f: f.on_time_rate)
MEDIAN_ACK = Minutes("报到用时中位数", lambda f: f.median_ack_minutes)
ESCALATIONS = Count("被升级案件", lambda f: f.escalations, "件")
REOPENED = Count("核查未通过重新处置", lambda f: f.reopened, "次")
REPORTS_ON_TIME = Count("月报按时报送", lambda f: f.reports_on_time, "份")
REPORTS_LATE = Count("月报逾期报送", lambda f: f.reports_late, "份")
REPORTS_MISSING = Count("月报未报送", lambda f: f.reports_missing, "份")

# The document's 总体情况 table: what a reader compares with last month.
DOCUMENT_TABLE: tuple[Figure[Any], ...] = (
    WHISTLED,
    CLOSED,
    OPEN,
    OVERDUE,
    MEDIAN_ACK,
    ON_TIME_RATE,
    ESCALATIONS,
    REOPENED,
    REPORTS_ON_TIME,
    REPORTS_LATE,
    REPORTS_MISSING,
)
# The ledger's 汇总 sheet: every figure, the rate next to the counts it is taken from.
LEDGER_SHEET: tuple[Figure[Any], ...] = (
    WHISTLED,
    CLOSED,
    OPEN,
    OVERDUE,
    DISPATCHES,
    ACKS_ON_TIME,
    AWAITING_ACK,
    ON_TIME_RATE,
    MEDIAN_ACK,
    ESCALATIONS,
    REOPENED,
    REPORTS_ON_TIME,
    REPORTS_LATE,
    REPORTS_MISSING,
)


def versus(change: str) -> str:
    """`（较上月↑3）`, or nothing when there is no previous month to compare with."""
    return "" if change == DASH else f"（较上月{change}）"


def on_time_text(current: HeadlineFigures, previous: HeadlineFigures | None) -> str:
    """`按时报到率70.0%（较上月↓30.0个百分点）` for the prose, saying what is not judged yet.

    Dispatches whose window is still open are left out of the rate; when no dispatch can be
    judged yet the rate is 暂无可评, not 0.0%.
    """
    waiting = current.awaiting_ack
    if ON_TIME_RATE.read(current) is None:
        if waiting:
            return f"按时报到率暂无可评（{waiting}次派遣均在报到时限内）"
        return f"按时报到率{ON_TIME_RATE.text(current)}"
    text = f"按时报到率{ON_TIME_RATE.text(current)}" + versus(
        ON_TIME_RATE.change(current, previous)
    )
    return text + (f"，另有{waiting}次派遣尚在报到时限内" if waiting else "")


@dataclass(frozen=True)
class HeadlineRow:
    """One headline figure as text: label, this month, last month, change."""

    label: str
    current: str
    previous: str
    change: str


def document_rows(bulletin: Bulletin) -> list[HeadlineRow]:
    """The document table's rows in reading order, with last month and the change."""
    cur, prev = bulletin.current, bulletin.previous
    return [
        HeadlineRow(f.text_label, f.text(cur), f.text(prev), f.change(cur, prev))
        for f in DOCUMENT_TABLE
    ]


def sheet_rows(bulletin: Bulletin) -> list[list[Cell]]:
    """The 汇总 sheet's rows: figures as numbers, `—` where a month has none."""
    return [f.cells(bulletin.current, bulletin.previous) for f in LEDGER_SHEET]
