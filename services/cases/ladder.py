"""The escalation ladder as pure arithmetic: when is each ping and escalation due, what is due now.

A ladder is a fixed grid of events counted from the moment the department was dispatched:
pings every `ping_every` strictly before `escalate_after`, then an escalation at
`escalate_after` and again every `escalate_every`. With business hours the grid is laid in
business time (08:00–20:00 on workdays), so a normal case is never pinged at night or on a
holiday, and `1d` means one workday window.

`step()` is the whole decision, in the manner of Grafana OnCall's escalation snapshot: given
the ladder, the state kept in the row and `now`, it returns what to send (at most one event,
however many grid points were missed while the bot was down) and when to look again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from models.orgfile import Duration, LadderSpec
from services.business_time import BusinessHours
from services.workdays import WorkdayCalendar

# Used when a case names a ladder the org file no longer has (the row outlives the config).
FALLBACK_URGENT = LadderSpec.model_validate({"ping_every": "10m", "escalate_after": "30m"})
FALLBACK_NORMAL = LadderSpec.model_validate(
    {"ping_every": "2h", "escalate_after": "1d", "business_hours": "08:00-20:00"}
)


class Action(StrEnum):
    """What a due ladder event sends."""

    PING = "ping"  # a reminder to the department's group
    ESCALATE = "escalate"  # the leading group and the coordinators are told


class _EveryDay(WorkdayCalendar):
    """A calendar on which every day is a workday (business hours without `workdays_only`)."""

    def __init__(self) -> None:
        super().__init__({})

    def is_workday(self, d: date) -> bool:
        return True


@dataclass(frozen=True)
class Ladder:
    """A resolved ladder: intervals as timedeltas, and the business window if it has one."""

    ping_every: timedelta
    escalate_after: timedelta
    escalate_every: timedelta
    hours: BusinessHours | None = None
    # After 报到, on site within this (ladder time); None: no arrival deadline.
    arrive_within: timedelta | None = None

    def __post_init__(self) -> None:
        for name in ("ping_every", "escalate_after", "escalate_every"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"ladder {name} must be positive")

    @classmethod
    def from_spec(
        cls, spec: LadderSpec, calendar: WorkdayCalendar, tz: tzinfo, *, urgent: bool = False
    ) -> Ladder:
        """Read an org-file ladder; in a business-hours ladder `Nd` means N workday windows."""
        hours: BusinessHours | None = None
        if spec.business_hours is not None:
            bh = spec.business_hours
            hours = BusinessHours(
                calendar=calendar if bh.workdays_only else _EveryDay(),
                tz=tz,
                start=bh.start,
                end=bh.end,
            )

        def span(d: Duration) -> timedelta:
            if d.unit == "d" and hours is not None:
                return hours.workday_length * d.value
            return d.to_timedelta()

        return cls(
            ping_every=span(spec.ping_every),
            escalate_after=span(spec.escalate_after),
            escalate_every=span(spec.escalation_interval),
            hours=hours,
            arrive_within=(None if (arrive := spec.arrival_span(urgent)) is None else span(arrive)),
        )

    def span_of(self, d: Duration) -> timedelta:
        """An org-file duration in this ladder's time (`Nd`: N workday windows with hours)."""
        if d.unit == "d" and self.hours is not None:
            return self.hours.workday_length * d.value
        return d.to_timedelta()

    def shift(self, start: datetime, span: timedelta) -> datetime:
        """`span` of ladder time after `start` (business time if the ladder has hours)."""
        if self.hours is not None:
            return self.hours.add_business_time(start, span)
        return start + span

    def arrive_due(self, acked_at: datetime) -> datetime | None:
        """When a department that reported for duty at `acked_at` must be on site."""
        if self.arrive_within is None:
            return None
        return self.shift(acked_at, self.arrive_within)

    @property
    def pings_before_escalation(self) -> int:
        """How many pings fall strictly before the first escalation."""
        whole, rest = divmod(self.escalate_after, self.ping_every)
        return int(whole) if rest else int(whole) - 1

    def offset(self, k: int) -> timedelta:
        """Ladder time (business time if the ladder has hours) from the start to event k ≥ 1."""
        if k < 1:
            raise ValueError("ladder events are numbered from 1")
        m = self.pings_before_escalation
        if k <= m:
            return self.ping_every * k
        return self.escalate_after + self.escalate_every * (k - m - 1)

    def action(self, k: int) -> Action:
        """What event k sends."""
        return Action.PING if k <= self.pings_before_escalation else Action.ESCALATE

    def first_escalation(self) -> int:
        """The number of the first escalation event."""
        return self.pings_before_escalation + 1

    def at(self, started: datetime, k: int) -> datetime:
        """When event k falls due for a ladder started at `started` (UTC)."""
        if self.hours is not None:
            return self.hours.add_business_time(started, self.offset(k))
        return started + self.offset(k)

    def elapsed(self, started: datetime, now: datetime) -> timedelta:
        """Ladder time passed since the start."""
        if self.hours is not None:
            return self.hours.business_time_between(started, now)
        return max(now - started, timedelta(0))

    def _index_for(self, elapsed: timedelta) -> int:
        """The largest k whose offset is at most `elapsed` (0 if none)."""
        m = self.pings_before_escalation
        if elapsed < self.escalate_after:
            return min(int(elapsed // self.ping_every), m)
        return m + 1 + int((elapsed - self.escalate_after) // self.escalate_every)

    def due_index(self, started: datetime, now: datetime) -> int:
        """The last event whose time has come (0 if none has)."""
        k = self._index_for(self.elapsed(started, now))
        # A grid point that lands exactly on a window's end is moved to the next window's
        # start, so it may still lie ahead although its business time has passed.
        while k > 0 and self.at(started, k) > now:
            k -= 1
        return k


@dataclass(frozen=True)
class LadderState:
    """What the row keeps: when the ladder (re)started and how many events were handled."""

    started_at: datetime
    step: int = 0
    stopped: bool = False  # reported for duty, removed from the case, or the case closed


@dataclass(frozen=True)
class StepResult:
    """The decision for one row at one moment."""

    action: Action | None  # what to send now; None: nothing is due
    step: int  # the step to store
    eta: datetime | None  # when to look again; None: the ladder has stopped
    skipped: int = 0  # grid points missed (e.g. downtime) and folded into this one event

    @property
    def stop(self) -> bool:
        return self.eta is None


def step(ladder: Ladder, state: LadderState, now: datetime) -> StepResult:
    """Decide what is due now: at most one event, then the next grid point as the eta."""
    if state.stopped:
        return StepResult(action=None, step=state.step, eta=None)
    k = ladder.due_index(state.started_at, now)
    if k <= state.step:
        return StepResult(
            action=None, step=state.step, eta=ladder.at(state.started_at, state.step + 1)
        )
    return StepResult(
        action=ladder.action(k),
        step=k,
        eta=ladder.at(state.started_at, k + 1),
        skipped=k - state.step - 1,
    )


def schedule(ladder: Ladder, started: datetime, count: int) -> list[tuple[datetime, Action]]:
    """The first `count` events of a ladder (for tests, docs and the dispatch card's hint)."""
    return [(ladder.at(started, k), ladder.action(k)) for k in range(1, count + 1)]


# -- a deadline's chase (到场: reported for duty, not on site by the deadline) -----------------
#
# Event 1 is a reminder at the deadline itself; one `ping_every` later the first escalation,
# then an escalation every `escalate_every`, all counted in the ladder's own (business) time.


def chase_at(ladder: Ladder, due: datetime, k: int) -> datetime:
    """When chase event k ≥ 1 falls due for a deadline `due`."""
    if k < 1:
        raise ValueError("chase events are numbered from 1")
    if k == 1:
        return due
    return ladder.shift(due, ladder.ping_every + ladder.escalate_every * (k - 2))


def chase_action(k: int) -> Action:
    """The first chase event reminds; every later one escalates."""
    return Action.PING if k == 1 else Action.ESCALATE


def chase_index(ladder: Ladder, due: datetime, now: datetime) -> int:
    """The last chase event whose time has come (0 before the deadline)."""
    if now < due:
        return 0
    elapsed = ladder.elapsed(due, now)
    if elapsed < ladder.ping_every:
        k = 1
    else:
        k = 2 + int((elapsed - ladder.ping_every) // ladder.escalate_every)
    while k > 1 and chase_at(ladder, due, k) > now:
        k -= 1
    return k


def chase_step(ladder: Ladder, due: datetime, done: int, now: datetime) -> StepResult:
    """What a deadline's chase sends now (at most one event), and when to look again."""
    k = chase_index(ladder, due, now)
    if k <= done:
        return StepResult(action=None, step=done, eta=chase_at(ladder, due, done + 1))
    return StepResult(
        action=chase_action(k),
        step=k,
        eta=chase_at(ladder, due, k + 1),
        skipped=k - done - 1,
    )
