"""DTOs of the monthly bulletin (通报): what the renderers need, computed elsewhere."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from models.enums import DepartmentKind
from models.period import MonthPeriod


class _Dto(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def percent(part: int, whole: int) -> Decimal | None:
    """`part/whole` as a percentage rounded half-up to 0.1; None when `whole` is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


class ReportStatus(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    # Not submitted, but its deadline has not come yet (a bulletin built mid-month).
    PENDING = "pending"

    @property
    def label(self) -> str:
        return {
            "on_time": "按时报送",
            "late": "逾期报送",
            "missing": "未报送",
            "pending": "未到截止时间",
        }[self.value]

    @property
    def submitted(self) -> bool:
        return self in (ReportStatus.ON_TIME, ReportStatus.LATE)


class ReportRow(_Dto):
    """One department's monthly report for one form."""

    department_key: str
    department: str
    form_key: str
    form: str
    status: ReportStatus
    submitted_at: AwareDatetime | None = None
    submitted_by: str | None = None

    @model_validator(mode="after")
    def _submitted_matches_status(self) -> ReportRow:
        if self.status.submitted != (self.submitted_at is not None):
            raise ValueError("submitted_at must be set exactly when the report was submitted")
        return self


class DutyKind(enum.StrEnum):
    MEETING = "meeting"
    TRAINING = "training"
    INSPECTION = "inspection"
    GUIDANCE = "guidance"

    @property
    def label(self) -> str:
        return {
            "meeting": "会议",
            "training": "培训",
            "inspection": "检查",
            "guidance": "指导",
        }[self.value]


class DutyRow(_Dto):
    """Meetings, trainings, inspections or guidance one department held against what was due."""

    department_key: str
    department: str
    kind: DutyKind
    held: int = Field(ge=0)
    expected: int = Field(ge=0)
    # What exactly was due, e.g. 月度调度会 or the report question; empty: the kind says it.
    item: str = ""

    @property
    def title(self) -> str:
        return self.item or self.kind.label

    @property
    def shortfall(self) -> int:
        return max(self.expected - self.held, 0)


class HazardTally(_Dto):
    """Cases whistled in the month for one category, area or department, by state at month end."""

    key: str
    name: str
    whistled: int = Field(ge=0)
    closed: int = Field(ge=0)
    open: int = Field(ge=0)
    overdue: int = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> HazardTally:
        if self.closed + self.open != self.whistled:
            raise ValueError("each whistled case is either closed or open at month end")
        if self.overdue > self.open:
            raise ValueError("overdue counts open cases only")
        return self

    @property
    def open_in_time(self) -> int:
        """Open and not overdue: the middle segment of the stacked bar."""
        return self.open - self.overdue


class OpenCase(_Dto):
    """One of the oldest cases still open at the end of the month, open past the 超期 limit."""

    number: str
    category: str
    area: str
    whistled_at: AwareDatetime
    age_minutes: int = Field(ge=0)
    pending_departments: list[str] = Field(default_factory=list)


class HazardFigures(_Dto):
    by_category: list[HazardTally] = Field(default_factory=list)
    by_area: list[HazardTally] = Field(default_factory=list)
    by_department: list[HazardTally] = Field(default_factory=list)
    oldest_open: list[OpenCase] = Field(default_factory=list)


class LaneResponse(_Dto):
    """One department's dispatches on one kind of ladder (urgent or normal) in the month.

    Each dispatch is measured against the limit of the ladder it ran on: a 30-minute urgent
    ladder and a one-workday normal one are never mixed into one median.
    """

    urgent: bool
    cases: int = Field(ge=0)
    acks: int = Field(ge=0)
    median_ack_minutes: float | None = None
    # The ladder's time until the first escalation (median over the lane's dispatches).
    ack_limit_minutes: float | None = None
    # Median of each 报到's time as a percentage of its own dispatch's limit.
    median_share: float | None = None

    @property
    def label(self) -> str:
        return "紧急" if self.urgent else "一般"


class DepartmentResponse(_Dto):
    """How one department answered the cases dispatched to it in the month."""

    department_key: str
    department: str
    cases: int = Field(ge=0)
    acks: int = Field(ge=0)
    acks_on_time: int = Field(ge=0)
    median_ack_minutes: float | None = None
    p90_ack_minutes: float | None = None
    median_resolve_minutes: float | None = None
    escalations: int = Field(ge=0, default=0)
    reopened: int = Field(ge=0, default=0)
    # The ladder's escalation limit for this department's cases (minutes): the chart's marker.
    ack_limit_minutes: float | None = None
    # Dispatches not yet 报到 whose window (until the first escalation) is still open.
    awaiting_ack: int = Field(ge=0, default=0)
    # The same dispatches split by ladder (urgent first): what the chart compares.
    lanes: list[LaneResponse] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DepartmentResponse:
        if self.acks > self.cases or self.acks_on_time > self.acks:
            raise ValueError("acks_on_time <= acks <= cases")
        if self.acks_on_time + self.awaiting_ack > self.cases:
            raise ValueError("a dispatch still awaiting 报到 was not 报到 on time")
        if self.acks == 0 and self.median_ack_minutes is not None:
            raise ValueError("a median time to 报到 needs at least one 报到")
        return self

    @property
    def judged(self) -> int:
        """Dispatches whose 报到 is decided: reported for duty, or the window has closed."""
        return self.cases - self.awaiting_ack

    @property
    def on_time_rate(self) -> Decimal | None:
        """On-time 报到 as a percentage of the judged dispatches; None before any is judged."""
        return percent(self.acks_on_time, self.judged)


class TalkProposal(_Dto):
    """A department proposed for a talk (约谈), with the figures that put it there."""

    department_key: str
    department: str
    reasons: list[str] = Field(min_length=1)


class Highlight(_Dto):
    """A highlight or good practice (亮点和先进经验) quoted from a report."""

    department: str
    text: str
    form: str | None = None


class CaseHeadline(_Dto):
    """The month's cases at a glance: hazards whistled, dispatches and how they were answered."""

    whistled: int = Field(ge=0, default=0)
    closed: int = Field(ge=0, default=0)
    open: int = Field(ge=0, default=0)
    overdue: int = Field(ge=0, default=0)
    dispatches: int = Field(ge=0, default=0)
    acks_on_time: int = Field(ge=0, default=0)
    # Dispatches not yet 报到 whose window is still open: neither on time nor late yet.
    awaiting_ack: int = Field(ge=0, default=0)
    median_ack_minutes: float | None = None
    escalations: int = Field(ge=0, default=0)
    reopened: int = Field(ge=0, default=0)

    @model_validator(mode="after")
    def _judged(self) -> CaseHeadline:
        if self.acks_on_time + self.awaiting_ack > self.dispatches:
            raise ValueError("acks_on_time + awaiting_ack <= dispatches")
        return self


class ReportHeadline(_Dto):
    """The month's monthly reports at a glance."""

    reports_on_time: int = Field(ge=0, default=0)
    reports_late: int = Field(ge=0, default=0)
    reports_missing: int = Field(ge=0, default=0)
    reports_pending: int = Field(ge=0, default=0)


class HeadlineFigures(CaseHeadline, ReportHeadline):
    """The month at a glance; the same fields for the previous month give the change.

    services/bulletin/headline.py names and formats each figure for the renderers.
    """

    @classmethod
    def of(cls, cases: CaseHeadline, reports: ReportHeadline) -> HeadlineFigures:
        return cls(**cases.model_dump(), **reports.model_dump())

    @property
    def on_time_rate(self) -> Decimal | None:
        """On-time 报到 over the month's dispatches already judged, in percent.

        A dispatch whose window is still open is neither on time nor late yet (as a report
        before its deadline is 未到截止时间): None while no dispatch can be judged.
        """
        return percent(self.acks_on_time, self.dispatches - self.awaiting_ack)

    @property
    def reports_expected(self) -> int:
        return (
            self.reports_on_time + self.reports_late + self.reports_missing + self.reports_pending
        )


class DepartmentTimes(_Dto):
    """One department's 报到 and 处置 times on one case."""

    department_key: str
    department: str
    acked_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None


class LedgerCase(_Dto):
    """One row of the case ledger (台账)."""

    number: str
    category: str
    area: str
    address: str = ""
    urgent: bool = False
    reporter: str = ""
    status: str
    whistled_at: AwareDatetime
    dispatched_at: AwareDatetime | None = None
    departments: list[DepartmentTimes] = Field(default_factory=list)
    verified_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    reopened: int = Field(ge=0, default=0)
    description: str = ""


class FormAnswers(_Dto):
    """One department's submitted answers to a form, one cell per question."""

    department: str
    submitted_at: AwareDatetime
    submitted_by: str = ""
    cells: list[str]


class FormTable(_Dto):
    """All submissions of one form in the month: columns are the question labels."""

    form_key: str
    title: str
    columns: list[str]
    rows: list[FormAnswers] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rectangular(self) -> FormTable:
        for row in self.rows:
            if len(row.cells) != len(self.columns):
                raise ValueError(f"{row.department}: {len(row.cells)} cells for {self.title}")
        return self


class DocumentInfo(_Dto):
    """The 通报 as an office document: who it goes to, its 发文字号 once signed, 版记."""

    # 主送, without the colon.
    addressees: str = "各有关部门、各社区"
    # 抄送 (the 版记's first line); empty: the line is left out.
    cc: list[str] = Field(default_factory=list)
    # 印发机关; empty: the issuing office.
    printer: str = ""
    # The org file's pattern, e.g. `千管三级办〔{year}〕{n}号`.
    number_pattern: str = "〔{year}〕{n}号"
    # Assigned at 签发; None: a draft, its number left blank for the clerk.
    number: str | None = None
    # Paragraphs of 工作要求 a coordinator added before signing.
    requirements: list[str] = Field(default_factory=list)

    def number_line(self, year: int) -> str:
        """The 发文字号, or the pattern with the number left blank (`〔2026〕　　号`)."""
        if self.number is not None:
            return self.number
        return self.number_pattern.format(year=year, n="　　")


class Bulletin(_Dto):
    """Everything the month's bulletin states; renderers read nothing else."""

    period: MonthPeriod
    office: str
    issue_date: date
    tz: str = "Asia/Shanghai"
    current: HeadlineFigures
    # None when the bot has no record of the previous month (e.g. it did not exist yet).
    previous: HeadlineFigures | None = None
    reports: list[ReportRow] = Field(default_factory=list)
    duties: list[DutyRow] = Field(default_factory=list)
    hazards: HazardFigures = Field(default_factory=HazardFigures)
    response: list[DepartmentResponse] = Field(default_factory=list)
    talk_rule: str = ""
    talks: list[TalkProposal] = Field(default_factory=list)
    highlights: list[Highlight] = Field(default_factory=list)
    cases: list[LedgerCase] = Field(default_factory=list)
    forms: list[FormTable] = Field(default_factory=list)
    # Plain sentences stated before the figures, e.g. that the month precedes the bot's records.
    notes: list[str] = Field(default_factory=list)
    # The month ended before the bot's first record: its zeros are not facts.
    before_records: bool = False
    document: DocumentInfo = Field(default_factory=DocumentInfo)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def title(self) -> str:
        return "".join(self.title_parts)

    @property
    def title_parts(self) -> list[str]:
        """The title in words: a long title is broken only between them."""
        return ["关于", self.period.label, "消防网格化", "工作情况", "的通报"]

    def file_stem(self) -> str:
        """Base name for the attached files, e.g. `通报-2026-12`."""
        return f"通报-{self.period.key}"


def age_minutes(since: datetime, now: datetime) -> int:
    """Whole minutes from `since` to `now`, never negative."""
    return max(int((now - since) / timedelta(minutes=1)), 0)


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TalkRule(_Spec):
    """When a department is proposed for a talk (约谈); any one condition is enough."""

    escalations_at_least: int | None = Field(default=2, ge=1)
    on_time_rate_below: Decimal | None = Field(default=Decimal(80), gt=0, le=100)
    # A rate over one or two dispatches says little: below this many judged (报到, or the
    # window closed) the rate is not held against the department.
    min_cases_for_rate: int = Field(default=1, ge=1)
    missing_reports_at_least: int | None = Field(default=None, ge=1)

    def describe(self) -> str:
        """The rule in the bulletin's words, e.g. `本月被升级案件2件及以上，或按时报到率低于80%`."""
        parts = []
        if self.escalations_at_least is not None:
            parts.append(f"本月被升级案件{self.escalations_at_least}件及以上")
        if self.on_time_rate_below is not None:
            parts.append(f"按时报到率低于{self.on_time_rate_below.normalize():f}%")
        if self.missing_reports_at_least is not None:
            parts.append(f"月报未报送{self.missing_reports_at_least}份及以上")
        return "，或".join(parts)

    def reasons(self, response: DepartmentResponse | None, missing_reports: int) -> list[str]:
        """The figures that put a department on the list; empty when none applies."""
        found = []
        if response is not None:
            if (
                self.escalations_at_least is not None
                and response.escalations >= self.escalations_at_least
            ):
                found.append(f"本月被升级案件{response.escalations}件")
            rate = response.on_time_rate
            if (
                self.on_time_rate_below is not None
                and rate is not None
                and response.judged >= self.min_cases_for_rate
                and rate < self.on_time_rate_below
            ):
                found.append(f"按时报到率{rate}%")
        if (
            self.missing_reports_at_least is not None
            and missing_reports >= self.missing_reports_at_least
        ):
            found.append(f"月报未报送{missing_reports}份")
        return found


class DutySpec(_Spec):
    """Where the bulletin finds one duty held: a meeting reminder's confirmations, or a report answer.

    `reminder`: a meeting rule's occurrences in the month are expected, those confirmed 已召开 held.
    `form` + `question`: the departments owing the form owe `expected` (or one per department of
    kind `expected_per`); held is the answer: a repeating group's items, a number, 是 = 1.
    """

    kind: DutyKind
    reminder: str | None = None
    form: str | None = None
    question: str | None = None
    expected: int = Field(default=1, ge=0)
    expected_per: DepartmentKind | None = Field(default=None, description="a department kind")
    item: str = Field(default="", max_length=20, description="the name shown, e.g. 调度会议")

    @model_validator(mode="after")
    def _one_source(self) -> DutySpec:
        by_form = self.form is not None and self.question is not None
        if (self.reminder is not None) == by_form or (self.form is None) != (self.question is None):
            raise ValueError("give either `reminder`, or both `form` and `question`")
        return self


def check_number_pattern(pattern: str) -> str:
    """A 发文字号 pattern must name {year} and {n} and nothing else in braces."""
    try:
        sample = pattern.format(year=2026, n=1)
    except (KeyError, IndexError, ValueError):
        raise ValueError(
            f"'{pattern}': write the number as e.g. 千管三级办〔{{year}}〕{{n}}号 "
            "(only {year} and {n} in braces)"
        ) from None
    if "{year}" not in pattern or "{n}" not in pattern or sample == pattern:
        raise ValueError(f"'{pattern}': the pattern needs both {{year}} and {{n}}")
    return pattern


class BulletinSpec(_Spec):
    """The org file's `bulletin:` block."""

    # The Word template (a path relative to the org file); None: the shipped GB/T 9704 one.
    template: str | None = None
    # 发文字号, e.g. `千管三级办〔{year}〕{n}号`; None: the office's short name〔{year}〕{n}号.
    number: str | None = None
    # 主送, 抄送 and 印发机关 (None: the issuing office) of the document.
    addressees: str = Field(default="各有关部门、各社区", min_length=1, max_length=200)
    cc: list[str] = Field(default_factory=list)
    printer: str | None = None

    # Delivered on the last workday of each month at this local time.
    deliver_at: time = time(16, 0)
    # true: a draft (送审稿) goes to the coordinators first and the 通报 is issued at 签发;
    # false: the numbered 通报 goes out at once.
    sign_off: bool = True
    # A draft not signed by this local time on the next workday is handled as `unsigned` says.
    sign_by: time = time(12, 0)
    # send: issued unsigned (unnumbered, marked so); remind: the coordinators are reminded
    # again and the deadline moves to the next workday.
    unsigned: Literal["send", "remind"] = "send"
    # Who receives the issued 通报 besides the coordinators: leaders (the leading group's
    # group, or each leader privately), departments (each department's group).
    audience: list[Literal["leaders", "departments"]] = Field(default_factory=list)
    include_leading_group: bool = False
    # After downtime, a bulletin missed by less than this is still sent; older ones are
    # recorded as missed and the coordinators are told.
    catch_up_hours: int = Field(default=72, ge=0)
    # An open case is overdue (超期) once it has been open this many days.
    overdue_after_days: int = Field(default=7, ge=1)
    # How many 超期 cases (open past overdue_after_days) are listed as 久未结案, oldest first.
    oldest_open: int = Field(default=5, ge=0, le=50)
    talk: TalkRule = Field(default_factory=TalkRule)
    duties: list[DutySpec] = Field(default_factory=list)
    # Report answers quoted as highlights (亮点和先进经验), as `form.question`.
    highlights: list[str] = Field(default_factory=lambda: ["highlights.highlight"])

    @field_validator("number")
    @classmethod
    def _number(cls, value: str | None) -> str | None:
        return None if value is None else check_number_pattern(value)

    @field_validator("highlights")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        for ref in value:
            if ref.count(".") != 1 or not all(ref.split(".")):
                raise ValueError(f"'{ref}': write the form key and question key as form.question")
        return value

    @field_validator("deliver_at", "sign_by", mode="before")
    @classmethod
    def _yaml_sexagesimal(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 16:00 as the base-60 integer 960.
        if isinstance(value, int) and not isinstance(value, bool):
            hours, minutes = divmod(value, 60)
            if 0 <= hours < 24:
                return time(hours, minutes)
        return value
