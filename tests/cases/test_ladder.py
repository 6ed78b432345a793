"""The ladder as pure arithmetic: exact ping and escalation times, quiet hours, workdays, catch-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import DEFAULT_ORG
from models.orgfile import ByUrgency, LadderSpec
from services.cases.env import CaseEnv
from services.cases.ladder import (
    Action,
    Ladder,
    LadderState,
    StepResult,
    chase_step,
    schedule,
    step,
)
from services.geo import distance_m, fmt_distance
from services.orgconfig import parse_org
from services.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkdayCalendar.build(max_package_year=2026)
URGENT = Ladder.from_spec(
    LadderSpec.model_validate({"ping_every": "10m", "escalate_after": "30m"}), CAL, SH
)
NORMAL = Ladder.from_spec(
    LadderSpec.model_validate(
        {"ping_every": "2h", "escalate_after": "1d", "business_hours": "08:00-20:00"}
    ),
    CAL,
    SH,
)


def sh(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def local(events: list[tuple[datetime, Action]]) -> list[tuple[str, str]]:
    return [(t.astimezone(SH).strftime("%m-%d %H:%M"), a.value) for t, a in events]


def test_urgent_pings_every_10_minutes_and_escalates_after_30():
    start = sh(11, 30, 9)
    assert URGENT.pings_before_escalation == 2
    assert local(schedule(URGENT, start, 5)) == [
        ("11-30 09:10", "ping"),
        ("11-30 09:20", "ping"),
        ("11-30 09:30", "escalate"),
        ("11-30 09:40", "escalate"),
        ("11-30 09:50", "escalate"),
    ]


def test_urgent_ladder_runs_through_the_night():
    start = sh(11, 30, 23, 55)
    assert local(schedule(URGENT, start, 2)) == [("12-01 00:05", "ping"), ("12-01 00:15", "ping")]


def test_normal_ladder_stays_inside_business_hours():
    start = sh(11, 30, 9)  # Monday
    assert local(schedule(NORMAL, start, 8)) == [
        ("11-30 11:00", "ping"),
        ("11-30 13:00", "ping"),
        ("11-30 15:00", "ping"),
        ("11-30 17:00", "ping"),
        ("11-30 19:00", "ping"),
        # one workday (a full 12-hour window) after 09:00 Monday
        ("12-01 09:00", "escalate"),
        ("12-01 11:00", "escalate"),
        ("12-01 13:00", "escalate"),
    ]


def test_normal_ladder_waits_over_the_weekend():
    start = sh(12, 4, 18)  # Friday 18:00: two business hours end exactly at 20:00
    assert local(schedule(NORMAL, start, 3)) == [
        ("12-07 08:00", "ping"),
        ("12-07 10:00", "ping"),
        ("12-07 12:00", "ping"),
    ]


def test_normal_ladder_skips_the_national_day_week():
    start = sh(9, 30, 15)  # Wednesday before the Golden Week
    events = schedule(NORMAL, start, 6)
    assert local(events) == [
        ("09-30 17:00", "ping"),
        ("09-30 19:00", "ping"),
        ("10-08 09:00", "ping"),
        ("10-08 11:00", "ping"),
        ("10-08 13:00", "ping"),
        ("10-08 15:00", "escalate"),
    ]


def test_normal_ladder_works_on_a_swapped_saturday():
    start = sh(10, 9, 19)  # Friday 19:00; Saturday 10 October 2026 is a working day (调休)
    assert local(schedule(NORMAL, start, 2)) == [("10-10 09:00", "ping"), ("10-10 11:00", "ping")]


def test_dispatched_at_night_counts_from_the_next_window():
    start = sh(11, 30, 22)
    assert local(schedule(NORMAL, start, 1)) == [("12-01 10:00", "ping")]
    # escalation one full window later: Wednesday 08:00
    assert NORMAL.at(start, NORMAL.first_escalation()).astimezone(SH).strftime("%m-%d %H:%M") == (
        "12-02 08:00"
    )


def test_business_hours_every_day_when_not_workdays_only():
    ladder = Ladder.from_spec(
        LadderSpec.model_validate(
            {
                "ping_every": "1h",
                "escalate_after": "3h",
                "escalate_every": "4h",
                "business_hours": {"start": "09:00", "end": "18:00", "workdays_only": False},
            }
        ),
        CAL,
        SH,
    )
    start = sh(12, 5, 16)  # Saturday
    assert local(schedule(ladder, start, 4)) == [
        ("12-05 17:00", "ping"),
        ("12-06 09:00", "ping"),
        ("12-06 10:00", "escalate"),
        ("12-06 14:00", "escalate"),
    ]


def test_step_sends_each_event_once_on_time():
    start = sh(11, 30, 9)
    state = LadderState(started_at=start)
    sent: list[tuple[str, str]] = []
    now = start
    while now <= sh(11, 30, 9, 45):
        result = step(URGENT, state, now)
        if result.action is not None:
            sent.append((now.astimezone(SH).strftime("%H:%M"), result.action.value))
        state = LadderState(started_at=start, step=result.step)
        now += timedelta(minutes=1)
    assert sent == [
        ("09:10", "ping"),
        ("09:20", "ping"),
        ("09:30", "escalate"),
        ("09:40", "escalate"),
    ]


def test_nothing_due_gives_the_next_grid_point():
    start = sh(11, 30, 9)
    result = step(NORMAL, LadderState(started_at=start, step=0), sh(11, 30, 10, 59))
    assert result.action is None and result.step == 0
    assert result.eta == sh(11, 30, 11)


def test_after_downtime_one_event_then_back_on_schedule():
    start = sh(11, 30, 9)
    # the bot was down from 09:05 to 10:05: six grid points passed, one message goes out
    result = step(URGENT, LadderState(started_at=start, step=0), sh(11, 30, 10, 5))
    assert result.action is Action.ESCALATE
    assert result.step == 6 and result.skipped == 5
    assert result.eta == sh(11, 30, 10, 10)
    again = step(URGENT, LadderState(started_at=start, step=result.step), sh(11, 30, 10, 5))
    assert again.action is None


def test_downtime_before_escalation_sends_one_ping():
    start = sh(11, 30, 9)
    result = step(URGENT, LadderState(started_at=start), sh(11, 30, 9, 25))
    assert (result.action, result.step, result.skipped) == (Action.PING, 2, 1)
    assert result.eta == sh(11, 30, 9, 30)


def test_normal_downtime_over_a_weekend_sends_one_message_monday():
    start = sh(12, 4, 9)  # Friday
    # silent all Friday, bot down all weekend, back Monday 08:30
    result = step(NORMAL, LadderState(started_at=start, step=2), sh(12, 7, 8, 30))
    # Friday 09:00 + 12 business hours = Monday 09:00: not yet an escalation
    assert result.action is Action.PING and result.step == 5
    assert result.eta == sh(12, 7, 9)


def test_stopped_ladder_stops():
    result = step(URGENT, LadderState(started_at=sh(11, 30, 9), stopped=True), sh(11, 30, 12))
    assert result.stop and result.action is None


def test_a_ping_interval_that_divides_the_escalation_time():
    ladder = Ladder(
        ping_every=timedelta(minutes=15),
        escalate_after=timedelta(minutes=45),
        escalate_every=timedelta(minutes=15),
    )
    assert ladder.pings_before_escalation == 2
    ladder2 = Ladder(
        ping_every=timedelta(minutes=20),
        escalate_after=timedelta(minutes=45),
        escalate_every=timedelta(minutes=30),
    )
    assert ladder2.pings_before_escalation == 2
    assert [ladder2.offset(k) for k in (1, 2, 3, 4)] == [
        timedelta(minutes=20),
        timedelta(minutes=40),
        timedelta(minutes=45),
        timedelta(minutes=75),
    ]


def test_invalid_ladder_is_refused():
    with pytest.raises(ValueError):
        Ladder(
            ping_every=timedelta(0),
            escalate_after=timedelta(minutes=30),
            escalate_every=timedelta(minutes=10),
        )
    with pytest.raises(ValueError):
        URGENT.offset(0)


@settings(max_examples=200, deadline=None)
@given(
    start_min=st.integers(min_value=0, max_value=60 * 24 * 60),
    gaps=st.lists(st.integers(min_value=1, max_value=60 * 30), min_size=1, max_size=25),
    urgent=st.booleans(),
)
def test_any_tick_pattern_never_repeats_or_runs_ahead(
    start_min: int, gaps: list[int], urgent: bool
):
    """Whatever the tick times, events are strictly increasing and never sent before they are due."""
    ladder = URGENT if urgent else NORMAL
    start = sh(9, 1, 0) + timedelta(minutes=start_min)
    state = LadderState(started_at=start)
    now = start
    for gap in gaps:
        now += timedelta(minutes=gap)
        result = step(ladder, state, now)
        if result.action is not None:
            assert result.step > state.step
            assert ladder.at(start, result.step) <= now
            assert result.action is ladder.action(result.step)
        assert result.eta is not None and result.eta > now
        assert ladder.at(start, result.step + 1) == result.eta
        state = LadderState(started_at=start, step=result.step)


# -- a deadline's chase (到场) --------------------------------------------------------------


def test_chase_reminds_at_the_deadline_then_escalates_each_interval():
    ladder = Ladder(
        ping_every=timedelta(minutes=10),
        escalate_after=timedelta(minutes=30),
        escalate_every=timedelta(hours=2),
    )
    due = datetime(2026, 11, 30, 1, 50, tzinfo=UTC)
    assert chase_step(ladder, due, 0, due - timedelta(minutes=1)) == StepResult(None, 0, due)
    first = chase_step(ladder, due, 0, due)
    assert first.action is Action.PING and first.step == 1
    assert first.eta == due + timedelta(minutes=10)
    second = chase_step(ladder, due, 1, due + timedelta(minutes=10))
    assert second.action is Action.ESCALATE and second.eta == due + timedelta(hours=2, minutes=10)
    # down for five hours: one escalation, the missed ones folded into it
    late = chase_step(ladder, due, 2, due + timedelta(hours=5))
    assert late.action is Action.ESCALATE and late.step == 4 and late.skipped == 1
    assert chase_step(ladder, due, 4, due + timedelta(hours=5)).action is None


def test_urgent_ladders_default_to_thirty_minutes_on_site_normal_ones_to_none():
    spec = LadderSpec.model_validate({"ping_every": "10m", "escalate_after": "30m"})
    assert Ladder.from_spec(spec, CAL, SH, urgent=True).arrive_within == timedelta(minutes=30)
    assert Ladder.from_spec(spec, CAL, SH).arrive_within is None
    off = LadderSpec.model_validate(
        {"ping_every": "10m", "escalate_after": "30m", "arrive_within": None}
    )
    assert Ladder.from_spec(off, CAL, SH, urgent=True).arrive_within is None
    normal = LadderSpec.model_validate(
        {
            "ping_every": "2h",
            "escalate_after": "1d",
            "business_hours": "08:00-20:00",
            "arrive_within": "1d",
        }
    )
    ladder = Ladder.from_spec(normal, CAL, SH)
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=SH)  # 2 h left that day
    assert ladder.arrive_due(friday_evening) == datetime(2026, 12, 7, 18, 0, tzinfo=SH)


def test_great_circle_distance_and_how_it_is_said():
    assert round(distance_m(41.1, 123.0, 41.1 + 80 / 111_195, 123.0)) == 80
    # Beijing Tiananmen to Shanghai People's Square, about 1,068 km
    assert 1_060_000 < distance_m(39.9087, 116.3975, 31.2304, 121.4737) < 1_075_000
    assert fmt_distance(4) == "不足10米"
    assert fmt_distance(83) == "约80米"
    assert fmt_distance(1234) == "约1.2公里"
    assert fmt_distance(999) == "约1公里"


def test_resolve_deadline_by_urgency_and_category():
    org = parse_org(DEFAULT_ORG.read_text(encoding="utf-8"), "org.example.yaml")
    env = CaseEnv(org=org, calendar=CAL, tz=SH)
    chase, within = env.resolve_ladder("urgent", "fire_lane", True)
    assert within == timedelta(hours=24) and chase.ping_every == timedelta(hours=6)
    assert chase.pings_before_escalation == 3  # 6 h, 12 h, 18 h; escalated at 24 h
    chase, within = env.resolve_ladder("normal", "fire_lane", False)
    assert within == timedelta(hours=60)  # five 12-hour workday windows
    own = org.model_copy(
        update={
            "categories": [
                c.model_copy(
                    update={
                        "resolve_within": ByUrgency.model_validate({"urgent": "4h", "normal": "2d"})
                    }
                )
                if c.key == "fire_lane"
                else c
                for c in org.categories
            ]
        }
    )
    env = CaseEnv(org=own, calendar=CAL, tz=SH)
    assert env.resolve_ladder("urgent", "fire_lane", True)[1] == timedelta(hours=4)
    assert env.resolve_ladder("urgent", "wiring", True)[1] == timedelta(hours=24)
