"""The bulletin's figures, computed from the records with SQL aggregation.

Counts are GROUP BY queries; medians and 90th percentiles are picked by window functions
(ROW_NUMBER over each department's sorted durations) so only two rows per quantile and
department leave the database. Only the ledger reads cases one by one: it is a list of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.bulletin import (
    Bulletin,
    BulletinSpec,
    CaseHeadline,
    DepartmentResponse,
    DepartmentTimes,
    DutyKind,
    DutyRow,
    DutySpec,
    FormAnswers,
    FormTable,
    HazardFigures,
    HazardTally,
    HeadlineFigures,
    Highlight,
    LaneResponse,
    LedgerCase,
    OpenCase,
    ReportHeadline,
    ReportRow,
    ReportStatus,
    TalkProposal,
    age_minutes,
)
from models.cases import Case, CaseDepartment, CaseEvent, CaseStatus, EventKind
from models.forms import FormsFile, GroupQuestion, IntegerQuestion, YesNoQuestion
from models.org import Area, Department
from models.orgfile import OrgFile
from models.people import Person
from models.period import MonthPeriod
from models.reminders import OccurrenceStatus, ReminderOccurrence
from models.reports import ReportSubmission, SubmissionStatus
from services.bulletin.issue import document_info
from services.forms.answers import format_answer
from services.forms.deadlines import ReportConfig, deadline_of
from services.sql import dialect_name
from services.timefmt import fmt_datetime
from services.workdays import WorkdayCalendar

MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)
STATUS_LABELS = {
    CaseStatus.TRIAGE: "待分派",
    CaseStatus.DISPATCHED: "待报到",
    CaseStatus.IN_PROGRESS: "处置中",
    CaseStatus.VERIFYING: "待核查",
    CaseStatus.CLOSED: "已结案",
}


class Sources(Protocol):
    """What the figures read besides the database (services.runtime.Runtime provides it)."""

    org: OrgFile
    forms: FormsFile
    tz: ZoneInfo
    calendar: WorkdayCalendar


@dataclass(frozen=True)
class Window:
    """A month as UTC instants: [start, end), and the moment its figures are taken."""

    period: MonthPeriod
    start: datetime
    end: datetime
    as_of: datetime

    @classmethod
    def of(cls, period: MonthPeriod, tz: ZoneInfo, now: datetime) -> Window:
        start, end = period.bounds(tz)
        return cls(period, start, end, max(min(now, end), start))

    def contains(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.as_of)


@dataclass(frozen=True)
class Dept:
    id: int
    key: str
    name: str
    kind: str
    order: int
    active: bool


# -- SQL helpers -------------------------------------------------------------------------------


def minutes_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """`later - earlier` in minutes, as SQL (SQLite keeps datetimes as text)."""
    if dialect == "postgresql":
        return extract("epoch", later - earlier) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


async def quantiles(
    session: AsyncSession,
    value: ColumnElement[Any],
    group: Any | None,
    base: Select[Any],
    qs: Sequence[Fraction] = (MEDIAN, P90),
) -> dict[Any, dict[Fraction, float]]:
    """Linear-interpolated quantiles of `value` per `group` over the rows `base` selects.

    The database numbers each group's sorted values; only the (at most) two neighbours of
    each quantile's position come back, so a month of cases never travels to Python.
    """
    grp = (group if group is not None else literal(0)).label("grp")
    val = value.label("val")
    numbered = (
        base.add_columns(
            grp,
            val,
            func.row_number().over(partition_by=grp, order_by=val).label("rn"),
            func.count().over(partition_by=grp).label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    wanted = []
    for q in qs:
        first = (numbered.c.n - 1) * q.numerator // q.denominator + 1
        wanted += [numbered.c.rn == first, numbered.c.rn == first + 1]
    rows = await session.execute(
        select(numbered.c.grp, numbered.c.rn, numbered.c.n, numbered.c.val).where(or_(*wanted))
    )
    picked: dict[Any, dict[int, float]] = defaultdict(dict)
    sizes: dict[Any, int] = {}
    for grp_value, rn, n, v in rows:
        picked[grp_value][int(rn)] = float(v)
        sizes[grp_value] = int(n)
    result: dict[Any, dict[Fraction, float]] = {}
    for grp_value, values in picked.items():
        n = sizes[grp_value]
        result[grp_value] = {}
        for q in qs:
            position = (n - 1) * q  # 0-based, exact
            low = int(position)
            lo_v = values[low + 1]
            hi_v = values.get(low + 2, lo_v)
            result[grp_value][q] = round(lo_v + (hi_v - lo_v) * float(position - low), 2)
    return result


# -- reference data ----------------------------------------------------------------------------


async def departments(session: AsyncSession, org: OrgFile) -> dict[int, Dept]:
    """Every department row, ordered as the org file lists them (rows it dropped at the end)."""
    order = {d.key: i for i, d in enumerate(org.departments)}
    rows = await session.execute(
        select(Department.id, Department.key, Department.name, Department.kind, Department.active)
    )
    return {
        r.id: Dept(r.id, r.key, r.name, r.kind, order.get(r.key, len(order) + r.id), r.active)
        for r in rows
    }


async def area_roots(session: AsyncSession) -> dict[int, tuple[int, str]]:
    """Area id -> (top-level area id, its name): estates are counted with their community."""
    rows = (await session.execute(select(Area.id, Area.parent_id, Area.name))).all()
    parent = {r.id: r.parent_id for r in rows}
    name = {r.id: r.name for r in rows}
    roots: dict[int, tuple[int, str]] = {}
    for area_id in parent:
        top: int = area_id
        seen: set[int] = set()
        up = parent.get(top)
        while up is not None and top not in seen:
            seen.add(top)
            top, up = up, parent.get(up)
        roots[area_id] = (top, name[top])
    return roots


async def bot_epoch(session: AsyncSession) -> datetime | None:
    """When the office's records begin: the first person registered."""
    return await session.scalar(select(func.min(Person.joined_at)))


# -- hazards -----------------------------------------------------------------------------------


@dataclass
class _Tally:
    name: str
    whistled: int = 0
    closed: int = 0
    overdue: int = 0

    def add(self, whistled: int, closed: int, overdue: int) -> None:
        self.whistled += whistled
        self.closed += closed
        self.overdue += overdue

    def dto(self, key: str) -> HazardTally:
        return HazardTally(
            key=key,
            name=self.name,
            whistled=self.whistled,
            closed=self.closed,
            open=self.whistled - self.closed,
            overdue=self.overdue,
        )


def _closed_by(as_of: datetime) -> ColumnElement[bool]:
    return and_(Case.closed_at.is_not(None), Case.closed_at < as_of)


def _overdue(w: Window, spec: BulletinSpec) -> ColumnElement[bool]:
    limit = w.as_of - timedelta(days=spec.overdue_after_days)
    return and_(~_closed_by(w.as_of), Case.created_at < limit)


def _sorted_tallies(tallies: dict[str, _Tally], order: dict[str, int]) -> list[HazardTally]:
    return [
        t.dto(k)
        for k, t in sorted(
            tallies.items(), key=lambda kv: (-kv[1].whistled, order.get(kv[0], 1 << 30), kv[1].name)
        )
    ]


@dataclass(frozen=True)
class _Dispatches:
    """One department's dispatches in the window: how many, 报到, on time, window still open."""

    cases: int
    acked: int
    on_time: int
    awaiting: int


@dataclass
class CaseFigures:
    """What the cases give the headline and the hazard section."""

    headline: CaseHeadline = field(default_factory=CaseHeadline)
    hazards: HazardFigures = field(default_factory=HazardFigures)
    response: list[DepartmentResponse] = field(default_factory=list)


async def lane_figures(
    session: AsyncSession,
    dispatched: ColumnElement[bool],
    acked: ColumnElement[bool],
    ack_minutes: ColumnElement[Any],
    dialect: str,
) -> dict[int, list[LaneResponse]]:
    """Per department and ladder kind: dispatches, 报到, medians and the share of the limit."""
    cd = CaseDepartment
    # One integer per (department, urgent): quantiles group by a single expression.
    lane = cd.department_id * 2 + case((Case.urgent, 1), else_=0)
    base = select().select_from(cd).join(Case, Case.id == cd.case_id).where(dispatched)
    limit = minutes_between(cd.ack_due_at, cd.ladder_started_at, dialect)
    counts = await session.execute(
        base.add_columns(
            lane.label("lane"), func.count(), func.sum(case((acked, 1), else_=0))
        ).group_by(lane)
    )
    acks_q = await quantiles(session, case((acked, ack_minutes), else_=None), lane, base, (MEDIAN,))
    limit_q = await quantiles(session, limit, lane, base, (MEDIAN,))
    share = case((and_(acked, limit > 0), ack_minutes * 100.0 / limit), else_=None)
    share_q = await quantiles(session, share, lane, base, (MEDIAN,))
    found: dict[int, list[LaneResponse]] = defaultdict(list)
    for key, n, n_acked in counts:
        dept_id, urgent = divmod(int(key), 2)
        found[dept_id].append(
            LaneResponse(
                urgent=bool(urgent),
                cases=int(n),
                acks=int(n_acked or 0),
                median_ack_minutes=acks_q.get(key, {}).get(MEDIAN),
                ack_limit_minutes=limit_q.get(key, {}).get(MEDIAN),
                median_share=share_q.get(key, {}).get(MEDIAN),
            )
        )
    return {d: sorted(rows, key=lambda r: not r.urgent) for d, rows in found.items()}


async def case_figures(
    session: AsyncSession,
    w: Window,
    spec: BulletinSpec,
    org: OrgFile,
    depts: dict[int, Dept],
    roots: dict[int, tuple[int, str]],
    *,
    details: bool,
) -> CaseFigures:
    """Hazard tallies, per-department response and the headline's case figures for a window."""
    dialect = dialect_name(session)
    closed = case((_closed_by(w.as_of), 1), else_=0)
    overdue = case((_overdue(w, spec), 1), else_=0)

    # Category x area in one GROUP BY; both breakdowns are sums of its few rows.
    by_cat_area = await session.execute(
        select(
            Case.category_key,
            func.max(Case.category_name),
            Case.area_id,
            func.count(),
            func.sum(closed),
            func.sum(overdue),
        )
        .where(w.contains(Case.created_at))
        .group_by(Case.category_key, Case.area_id)
    )
    cats: dict[str, _Tally] = {}
    areas: dict[str, _Tally] = {}
    total = _Tally("合计")
    for cat_key, cat_name, area_id, n, n_closed, n_overdue in by_cat_area:
        n_closed, n_overdue = int(n_closed or 0), int(n_overdue or 0)
        cats.setdefault(cat_key, _Tally(cat_name)).add(n, n_closed, n_overdue)
        root_id, root_name = roots.get(area_id, (area_id, str(area_id)))
        areas.setdefault(str(root_id), _Tally(root_name)).add(n, n_closed, n_overdue)
        total.add(n, n_closed, n_overdue)

    cd = CaseDepartment
    # Response: the department's parts dispatched in the window.
    # The first 报到 of this dispatch: a department re-added to a case was dispatched again,
    # so an older first 报到 does not count for it.
    first_ack = case((cd.first_acked_at >= cd.dispatched_at, cd.first_acked_at), else_=cd.acked_at)
    acked = and_(first_ack.is_not(None), first_ack < w.as_of)
    # A coordinator's 代为报到 (issue 14 §4) is not the department's own: never on time.
    on_time = and_(
        cd.acked_at.is_not(None),
        cd.acked_at < w.as_of,
        or_(cd.ack_due_at.is_(None), cd.acked_at <= cd.ack_due_at),
        cd.acked_on_behalf.is_(False),
    )
    # Not yet 报到 and the window (until the first escalation) still open: neither on time nor
    # late yet, so not counted in the rate (an 报到 at ack_due_at itself is still on time).
    awaiting = and_(
        or_(cd.acked_at.is_(None), cd.acked_at >= w.as_of),
        or_(cd.ack_due_at.is_(None), cd.ack_due_at >= w.as_of),
    )
    dispatched = and_(w.contains(cd.dispatched_at), cd.removed_at.is_(None))
    counts = await session.execute(
        select(
            cd.department_id,
            func.count(),
            func.sum(case((acked, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
            func.sum(case((awaiting, 1), else_=0)),
        )
        .where(dispatched)
        .group_by(cd.department_id)
    )
    per_dept = {
        dept_id: _Dispatches(n, int(a or 0), int(o or 0), int(p or 0))
        for dept_id, n, a, o, p in counts
    }
    base = select().select_from(cd).where(dispatched)
    ack_minutes = minutes_between(first_ack, cd.dispatched_at, dialect)
    overall_q = await quantiles(
        session, case((acked, ack_minutes), else_=None), None, base, (MEDIAN,)
    )
    # 约谈 and the bulletin count escalated case-departments (issue 14 §3), not messages: a
    # department escalated four times on one case counts once, whatever it was escalated for
    # (not reporting, not on site, 处置 overdue).
    escalation_rows = await session.execute(
        select(CaseEvent.department_id, func.count(distinct(CaseEvent.case_id)))
        .where(
            CaseEvent.kind.in_(
                [EventKind.ESCALATED, EventKind.ARRIVE_ESCALATED, EventKind.RESOLVE_ESCALATED]
            ),
            w.contains(CaseEvent.at),
        )
        .group_by(CaseEvent.department_id)
    )
    escalations = {dept_id: int(n) for dept_id, n in escalation_rows}
    reopen_events = await session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.kind == EventKind.REOPENED, w.contains(CaseEvent.at))
    )

    headline = CaseHeadline(
        whistled=total.whistled,
        closed=total.closed,
        open=total.whistled - total.closed,
        overdue=total.overdue,
        dispatches=sum(d.cases for d in per_dept.values()),
        acks_on_time=sum(d.on_time for d in per_dept.values()),
        awaiting_ack=sum(d.awaiting for d in per_dept.values()),
        median_ack_minutes=overall_q.get(0, {}).get(MEDIAN),
        escalations=sum(escalations.values()),
        reopened=int(reopen_events or 0),
    )
    if not details:
        return CaseFigures(headline=headline)

    ack_q = await quantiles(session, case((acked, ack_minutes), else_=None), cd.department_id, base)
    by_dept_rows = await session.execute(
        select(cd.department_id, func.count(), func.sum(closed), func.sum(overdue))
        .join(Case, Case.id == cd.case_id)
        .where(w.contains(Case.created_at), cd.removed_at.is_(None))
        .group_by(cd.department_id)
    )
    by_dept: dict[str, _Tally] = {}
    for dept_id, n, n_closed, n_overdue in by_dept_rows:
        dept = depts.get(dept_id)
        by_dept[str(dept_id)] = _Tally(
            dept.name if dept else str(dept_id), n, int(n_closed or 0), int(n_overdue or 0)
        )
    resolved = and_(cd.resolved_at.is_not(None), cd.resolved_at < w.as_of)
    resolve_q = await quantiles(
        session,
        case((resolved, minutes_between(cd.resolved_at, cd.dispatched_at, dialect)), else_=None),
        cd.department_id,
        base,
        (MEDIAN,),
    )
    limit_q = await quantiles(
        session,
        minutes_between(cd.ack_due_at, cd.ladder_started_at, dialect),
        cd.department_id,
        base,
        (MEDIAN,),
    )
    lanes = await lane_figures(session, dispatched, acked, ack_minutes, dialect)
    # A department's reopened cases: 核查 said 未消除 and its ladder restarted (round > 0).
    reopen_rows = await session.execute(
        select(cd.department_id, func.count())
        .join(CaseEvent, CaseEvent.case_id == cd.case_id)
        .where(
            CaseEvent.kind == EventKind.REOPENED,
            w.contains(CaseEvent.at),
            cd.ladder_round > 0,
        )
        .group_by(cd.department_id)
    )
    reopened = {dept_id: int(n) for dept_id, n in reopen_rows}

    response = []
    for dept_id in sorted(per_dept, key=lambda d: depts[d].order if d in depts else 1 << 30):
        counted = per_dept[dept_id]
        dept = depts.get(dept_id)
        q = ack_q.get(dept_id, {})
        response.append(
            DepartmentResponse(
                department_key=dept.key if dept else str(dept_id),
                department=dept.name if dept else str(dept_id),
                cases=counted.cases,
                acks=counted.acked,
                acks_on_time=min(counted.on_time, counted.acked),
                awaiting_ack=counted.awaiting,
                median_ack_minutes=q.get(MEDIAN),
                p90_ack_minutes=q.get(P90),
                median_resolve_minutes=resolve_q.get(dept_id, {}).get(MEDIAN),
                escalations=escalations.get(dept_id, 0),
                reopened=reopened.get(dept_id, 0),
                ack_limit_minutes=limit_q.get(dept_id, {}).get(MEDIAN),
                lanes=lanes.get(dept_id, []),
            )
        )

    cat_order = {c.key: i for i, c in enumerate(org.categories)}
    dept_order = {str(d.id): d.order for d in depts.values()}
    hazards = HazardFigures(
        by_category=_sorted_tallies(cats, cat_order),
        by_area=_sorted_tallies(areas, {}),
        by_department=_sorted_tallies(by_dept, dept_order),
        oldest_open=await oldest_open(
            session,
            w,
            spec.oldest_open,
            depts,
            roots,
            after=timedelta(days=spec.overdue_after_days),
        ),
    )
    return CaseFigures(headline=headline, hazards=hazards, response=response)


async def oldest_open(
    session: AsyncSession,
    w: Window,
    limit: int,
    depts: dict[int, Dept],
    roots: dict[int, tuple[int, str]],
    *,
    after: timedelta,
) -> list[OpenCase]:
    """The cases open at the window's end that were whistled earliest (any month).

    Only cases open longer than `after` (the 超期 limit) are 久未结案: a case whistled a
    minute ago is the newest, not a long-open one, even when it is the only one open.
    """
    if limit == 0:
        return []
    whistled_before = w.as_of - after
    # Two index-friendly halves instead of one OR: still open now, or closed after the moment.
    found: list[Any] = []
    for still_open in (Case.closed_at.is_(None), Case.closed_at >= w.as_of):
        found += (
            await session.execute(
                select(Case.id, Case.number, Case.category_name, Case.area_id, Case.created_at)
                .where(still_open, Case.created_at < whistled_before)
                .order_by(Case.created_at, Case.id)
                .limit(limit)
            )
        ).all()
    found = sorted(found, key=lambda r: (r.created_at, r.id))[:limit]
    if not found:
        return []
    cd = CaseDepartment
    pending_rows = await session.execute(
        select(cd.case_id, cd.department_id)
        .where(
            cd.case_id.in_([r.id for r in found]),
            cd.removed_at.is_(None),
            or_(cd.acked_at.is_(None), cd.acked_at >= w.as_of),
        )
        .order_by(cd.id)
    )
    pending: dict[int, list[str]] = defaultdict(list)
    for case_id, dept_id in pending_rows:
        pending[case_id].append(depts[dept_id].name if dept_id in depts else str(dept_id))
    return [
        OpenCase(
            number=r.number,
            category=r.category_name,
            area=roots.get(r.area_id, (r.area_id, str(r.area_id)))[1],
            whistled_at=r.created_at,
            age_minutes=age_minutes(r.created_at, w.as_of),
            pending_departments=pending.get(r.id, []),
        )
        for r in found
    ]


async def ledger(session: AsyncSession, w: Window, depts: dict[int, Dept]) -> list[LedgerCase]:
    """One row per case whistled in the window, with every timestamp."""
    reporter = aliased(Person)
    cases = (
        await session.execute(
            select(
                Case.id,
                Case.number,
                Case.category_name,
                Area.name.label("area"),
                Case.address,
                Case.urgent,
                reporter.display_name.label("reporter"),
                Case.status,
                Case.created_at,
                Case.dispatched_at,
                Case.verified_at,
                Case.closed_at,
                Case.reopen_count,
                Case.description,
            )
            .join(Area, Area.id == Case.area_id)
            .join(reporter, reporter.id == Case.reporter_id, isouter=True)
            .where(w.contains(Case.created_at))
            .order_by(Case.created_at, Case.id)
        )
    ).all()
    cd = CaseDepartment
    parts = await session.execute(
        select(cd.case_id, cd.department_id, cd.first_acked_at, cd.resolved_at)
        .join(Case, Case.id == cd.case_id)
        .where(w.contains(Case.created_at), cd.removed_at.is_(None))
        .order_by(cd.case_id, cd.id)
    )
    # Rows straight from typed columns: model_construct skips re-validating thousands of them
    # (a month's ledger is the one place the bulletin handles cases one by one).
    times: dict[int, list[DepartmentTimes]] = defaultdict(list)
    for case_id, dept_id, acked_at, resolved_at in parts:
        dept = depts.get(dept_id)
        times[case_id].append(
            DepartmentTimes.model_construct(
                department_key=dept.key if dept else str(dept_id),
                department=dept.name if dept else str(dept_id),
                acked_at=acked_at,
                resolved_at=resolved_at,
            )
        )
    return [
        LedgerCase.model_construct(
            number=c.number,
            category=c.category_name,
            area=c.area,
            address=c.address or "",
            urgent=c.urgent,
            reporter=c.reporter or "",
            status=STATUS_LABELS.get(c.status, c.status),
            whistled_at=c.created_at,
            dispatched_at=c.dispatched_at,
            departments=times.get(c.id, []),
            verified_at=c.verified_at,
            closed_at=c.closed_at,
            reopened=c.reopen_count,
            description=c.description,
        )
        for c in cases
    ]


# -- reports, duties, highlights ---------------------------------------------------------------


@dataclass
class ReportFigures:
    rows: list[ReportRow] = field(default_factory=list)
    forms: list[FormTable] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    duties: list[DutyRow] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)

    def count(self, status: ReportStatus) -> int:
        return sum(1 for r in self.rows if r.status is status)

    def headline(self) -> ReportHeadline:
        return ReportHeadline(
            reports_on_time=self.count(ReportStatus.ON_TIME),
            reports_late=self.count(ReportStatus.LATE),
            reports_missing=self.count(ReportStatus.MISSING),
            reports_pending=self.count(ReportStatus.PENDING),
        )


def _owing(forms: FormsFile, depts: Iterable[Dept], form_key: str) -> list[Dept]:
    form = forms.form(form_key)
    if form is None:
        return []
    return sorted(
        (d for d in depts if form.filled_by.includes(d.key, d.kind)), key=lambda d: d.order
    )


def _held(question: Any, value: Any) -> int:
    """How many a report answer says were held: group items, a number, 是 = 1."""
    if value is None:
        return 0
    if isinstance(question, GroupQuestion):
        return len(value)
    if isinstance(question, IntegerQuestion):
        return int(value)
    if isinstance(question, YesNoQuestion):
        return 1 if value else 0
    return 0


async def report_figures(
    session: AsyncSession,
    w: Window,
    src: Sources,
    depts: dict[int, Dept],
    *,
    details: bool,
    epoch: datetime | None = None,
) -> ReportFigures:
    """Monthly reports owed, on time, late and missing; answers, highlights and duties held.

    A form whose deadline fell before the bot's first day (`epoch`) was owed to nobody
    here: nobody could file it through the bot, so it is neither missing nor late.
    """
    spec = src.org.bulletin
    deadlines = ReportConfig(forms=src.forms, tz=src.tz, calendar=src.calendar)
    # Departments the org file dropped owe nothing any more; their old rows stay for history.
    active = [d for d in depts.values() if d.active]
    rows = await session.execute(
        select(
            ReportSubmission.department_id,
            ReportSubmission.form_key,
            ReportSubmission.submitted_at,
            ReportSubmission.late,
            ReportSubmission.answers,
            Person.display_name,
        )
        .join(Person, Person.id == ReportSubmission.submitted_by, isouter=True)
        .where(
            ReportSubmission.period == w.period.key,
            ReportSubmission.status == SubmissionStatus.SUBMITTED,
        )
    )
    submitted: dict[tuple[int, str], Any] = {(r.department_id, r.form_key): r for r in rows}
    out = ReportFigures()
    # Per form, the departments whose answers can be judged now (for the duties held).
    judged: dict[str, list[Dept]] = {}
    for form in src.forms.forms:
        owing = _owing(src.forms, active, form.key)
        due_at = deadline_of(deadlines, form, w.period).due_at
        if epoch is not None and due_at < epoch:
            owing = []
        # Mid-month a report due later is owed, not missing; its answers are not in yet.
        not_yet_due = due_at > w.as_of
        judged[form.key] = [d for d in owing if not not_yet_due or (d.id, form.key) in submitted]
        if form.required:
            for dept in owing:
                sub = submitted.get((dept.id, form.key))
                status = (
                    (ReportStatus.PENDING if not_yet_due else ReportStatus.MISSING)
                    if sub is None
                    else ReportStatus.LATE
                    if sub.late
                    else ReportStatus.ON_TIME
                )
                out.rows.append(
                    ReportRow(
                        department_key=dept.key,
                        department=dept.name,
                        form_key=form.key,
                        form=form.title,
                        status=status,
                        submitted_at=None if sub is None else sub.submitted_at,
                        submitted_by=None if sub is None else sub.display_name,
                    )
                )
                if status is ReportStatus.MISSING:
                    out.missing[dept.key] = out.missing.get(dept.key, 0) + 1
        if not details:
            continue
        answered = [
            (d, submitted[(d.id, form.key)]) for d in owing if (d.id, form.key) in submitted
        ]
        if answered:
            out.forms.append(
                FormTable(
                    form_key=form.key,
                    title=form.title,
                    columns=[q.label for q in form.questions],
                    rows=[
                        FormAnswers(
                            department=d.name,
                            submitted_at=sub.submitted_at,
                            submitted_by=sub.display_name or "",
                            cells=[
                                format_answer(q, (sub.answers or {}).get(q.key))
                                for q in form.questions
                            ],
                        )
                        for d, sub in answered
                    ],
                )
            )
    if details:
        for ref in spec.highlights:
            form_key, question_key = ref.split(".")
            quoted = src.forms.form(form_key)
            if quoted is None or quoted.question(question_key) is None:
                continue
            for dept in _owing(src.forms, active, form_key):
                sub = submitted.get((dept.id, form_key))
                text = (sub.answers or {}).get(question_key) if sub is not None else None
                if isinstance(text, str) and text.strip():
                    out.highlights.append(
                        Highlight(department=dept.name, form=quoted.title, text=text.strip())
                    )
        out.duties = _form_duties(spec.duties, src.forms, active, judged, submitted)
    return out


def _form_duties(
    duties: Sequence[DutySpec],
    forms: FormsFile,
    depts: Sequence[Dept],
    judged: dict[str, list[Dept]],
    submitted: dict[tuple[int, str], Any],
) -> list[DutyRow]:
    """Duties read from report answers, for the departments whose report can be judged now."""
    rows = []
    for duty in duties:
        if duty.form is None or duty.question is None:
            continue
        form = forms.form(duty.form)
        question = form.question(duty.question) if form is not None else None
        if question is None:
            continue
        expected = duty.expected
        if duty.expected_per is not None:
            expected = sum(1 for d in depts if d.kind == duty.expected_per)
        for dept in judged.get(duty.form, []):
            sub = submitted.get((dept.id, duty.form))
            held = _held(
                question, (sub.answers or {}).get(duty.question) if sub is not None else None
            )
            rows.append(
                DutyRow(
                    department_key=dept.key,
                    department=dept.name,
                    kind=duty.kind,
                    held=held,
                    expected=expected,
                    item=duty.item,
                )
            )
    return rows


async def meeting_duties(
    session: AsyncSession, w: Window, duties: Sequence[DutySpec], depts: dict[int, Dept]
) -> list[DutyRow]:
    """Meetings due by a reminder rule in the window, and how many were confirmed 已召开."""
    by_rule = {d.reminder: d for d in duties if d.reminder is not None}
    if not by_rule:
        return []
    occ = ReminderOccurrence
    rows = await session.execute(
        select(
            occ.rule_key,
            occ.department_id,
            func.count(),
            func.sum(case((occ.status == OccurrenceStatus.HELD, 1), else_=0)),
        )
        .where(occ.rule_key.in_(list(by_rule)), w.contains(occ.due_at))
        .group_by(occ.rule_key, occ.department_id)
    )
    out = []
    for rule_key, dept_id, expected, held in rows:
        dept = depts.get(dept_id)
        duty = by_rule[rule_key]
        out.append(
            DutyRow(
                department_key=dept.key if dept else str(dept_id),
                department=dept.name if dept else str(dept_id),
                kind=duty.kind,
                held=int(held or 0),
                expected=int(expected),
                item=duty.item,
            )
        )
    order = {d.key: d.order for d in depts.values()}
    return sorted(out, key=lambda r: (order.get(r.department_key, 1 << 30), r.kind.value))


# -- the bulletin ------------------------------------------------------------------------------


def _headline(cases: CaseFigures, reports: ReportFigures) -> HeadlineFigures:
    return HeadlineFigures.of(cases.headline, reports.headline())


def talks(
    spec: BulletinSpec,
    response: Sequence[DepartmentResponse],
    missing: dict[str, int],
    depts: dict[int, Dept],
) -> list[TalkProposal]:
    """Departments the org file's 约谈 rule proposes, each with the figures that put it there."""
    by_key = {r.department_key: r for r in response}
    order = {d.key: (d.order, d.name) for d in depts.values()}
    out = []
    for key in sorted(set(by_key) | set(missing), key=lambda k: order.get(k, (1 << 30, k))):
        reasons = spec.talk.reasons(by_key.get(key), missing.get(key, 0))
        if reasons:
            name = by_key[key].department if key in by_key else order.get(key, (0, key))[1]
            out.append(TalkProposal(department_key=key, department=name, reasons=reasons))
    return out


async def compute_bulletin(
    session: AsyncSession, src: Sources, period: MonthPeriod, now: datetime
) -> Bulletin:
    """The month's bulletin as of `now` (the month's end if it is over)."""
    tz, spec = src.tz, src.org.bulletin
    w = Window.of(period, tz, now)
    depts = await departments(session, src.org)
    roots = await area_roots(session)
    epoch = await bot_epoch(session)
    notes = []
    before = epoch is None or epoch >= w.end
    if before:
        notes.append("本月早于系统启用，无业务记录。")
    elif epoch is not None and epoch > w.start:
        notes.append(f"系统自{fmt_datetime(epoch, tz)}启用，本月数据自该时起统计。")
    if now < w.end:
        notes.append(f"本通报数据截至{fmt_datetime(w.as_of, tz)}。")

    cases = await case_figures(session, w, spec, src.org, depts, roots, details=True)
    reports = (
        ReportFigures()
        if before
        else await report_figures(session, w, src, depts, details=True, epoch=epoch)
    )
    meetings = [] if before else await meeting_duties(session, w, spec.duties, depts)

    previous = None
    prev_period = period.previous()
    prev_w = Window.of(prev_period, tz, now)
    if epoch is not None and epoch < prev_w.end:
        prev_cases = await case_figures(session, prev_w, spec, src.org, depts, roots, details=False)
        prev_reports = await report_figures(session, prev_w, src, depts, details=False, epoch=epoch)
        previous = _headline(prev_cases, prev_reports)

    duty_order = {d.key: d.order for d in depts.values()}
    duties = sorted(
        [*meetings, *reports.duties],
        key=lambda r: (duty_order.get(r.department_key, 1 << 30), list(DutyKind).index(r.kind)),
    )
    return Bulletin(
        period=period,
        office=src.org.office.name,
        issue_date=now.astimezone(tz).date(),
        tz=tz.key,
        current=_headline(cases, reports),
        previous=previous,
        reports=reports.rows,
        duties=duties,
        hazards=cases.hazards,
        response=cases.response,
        talk_rule=spec.talk.describe(),
        talks=talks(spec, cases.response, reports.missing, depts),
        highlights=reports.highlights,
        cases=await ledger(session, w, depts),
        forms=reports.forms,
        notes=notes,
        before_records=before,
        document=document_info(src.org),
    )
