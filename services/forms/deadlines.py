"""When monthly reports are due: the report settings, each form's deadline in a month (with
its reminder moments), which forms a department owes, a form by its name. Pure; the bulletin
reads it too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.dto import DepartmentInfo
from models.forms import FormsFile, FormSpec
from models.period import MonthPeriod
from models.schedule import Occurrence
from services.errors import Refusal
from services.runtime import Runtime
from services.schedule_rules import occurrences, parse_leads, parse_schedule
from services.workdays import WorkdayCalendar


@dataclass(frozen=True)
class ReportConfig:
    """What the report use cases need besides the database: the forms, the zone, the calendar."""

    forms: FormsFile
    tz: ZoneInfo
    calendar: WorkdayCalendar

    def form(self, key: str) -> FormSpec:
        form = self.forms.form(key)
        if form is None:
            raise Refusal("该报表已从表单配置中删除，无法继续填写。请联系协调员。")
        return form

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def period_of(self, now: datetime) -> MonthPeriod:
        return MonthPeriod.of(self.today(now))


@functools.lru_cache(maxsize=512)
def _occurrence(
    deadline: str, remind: tuple[str, ...], period: str, calendar: WorkdayCalendar, tz: ZoneInfo
) -> Occurrence:
    spec = parse_schedule(deadline)
    leads = parse_leads(list(remind))
    month = MonthPeriod.parse(period)
    margin = timedelta(days=40)
    for occ in occurrences(
        spec, calendar, tz, month.first_day - margin, month.last_day + margin, leads
    ):
        if occ.period == period:
            return occ
    raise ValueError(f"deadline {deadline!r} has no occurrence in {period}")


def deadline_of(cfg: ReportConfig, form: FormSpec, period: MonthPeriod) -> Occurrence:
    """The form's deadline in a month: due date, due moment (UTC) and reminder moments."""
    return _occurrence(form.deadline, tuple(form.remind), period.key, cfg.calendar, cfg.tz)


def forms_owed(cfg: ReportConfig, department: DepartmentInfo | None) -> list[FormSpec]:
    """The forms a department fills, in file order."""
    if department is None:
        return []
    return cfg.forms.owed_by(department.key, department.kind)


def config_of(rt: Runtime) -> ReportConfig:
    """The report settings of a running bot."""
    return ReportConfig(forms=rt.forms, tz=rt.tz, calendar=rt.calendar)


def due_date(cfg: ReportConfig, due_at: datetime) -> date:
    """The last day of a deadline: one without a clock time is due at the midnight ending it."""
    local = due_at.astimezone(cfg.tz)
    return (local - timedelta(seconds=1)).date()


def find_form(cfg: ReportConfig, text: str) -> FormSpec:
    """A form by key or by title (with or without 《》)."""
    wanted = text.strip().strip("《》")
    for form in cfg.forms.forms:
        if wanted in (form.key, form.title):
            return form
    titles = "、".join(f"{f.title}（{f.key}）" for f in cfg.forms.forms)
    raise Refusal(f"未找到报表“{wanted}”。可用的报表：{titles}。")
