"""The occurrence engine's one catch-up policy (pure): the latest moment in grace goes out once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.reminders import SendStatus
from services.reminders.engine import Due, decide

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
GRACE = timedelta(hours=12)


def due(key: str, hours: float, grace: timedelta = GRACE) -> Due[str]:
    fire_at = T0 + timedelta(hours=hours)
    return Due(key=key, group="g", fire_at=fire_at, grace_until=fire_at + grace, item=key)


def outcome(group: list[Due[str]], now: datetime, recorded: set[str] | None = None, **kw):  # type: ignore[no-untyped-def]
    return [(d.due.key, d.status) for d in decide(group, recorded or set(), now, **kw)]


def test_on_time_the_moment_goes_out():
    assert outcome([due("a", 0)], T0) == [("a", SendStatus.SENT)]


def test_after_downtime_only_the_latest_in_grace_goes_out():
    group = [due("w3", -72), due("d1", -20), due("d0", -2)]
    assert outcome(group, T0) == [
        ("w3", SendStatus.MISSED),  # past its 12 hours
        ("d1", SendStatus.MISSED),
        ("d0", SendStatus.SENT),
    ]
    in_grace = [due("d1", -5), due("d0", -2)]
    assert outcome(in_grace, T0) == [("d1", SendStatus.SKIPPED), ("d0", SendStatus.SENT)]


def test_past_every_grace_nothing_goes_out():
    assert outcome([due("a", -13), due("b", -12.5)], T0) == [
        ("a", SendStatus.MISSED),
        ("b", SendStatus.MISSED),
    ]
    # The grace is inclusive: exactly 12 hours late still goes out.
    assert outcome([due("a", -12)], T0) == [("a", SendStatus.SENT)]


def test_a_settled_occurrence_gets_nothing_and_misses_nothing():
    assert outcome([due("a", -13), due("b", -1)], T0, settled=True) == [
        ("a", SendStatus.SKIPPED),
        ("b", SendStatus.SKIPPED),
    ]


def test_recorded_moments_are_not_decided_again():
    group = [due("w3", -5), due("d0", -1)]
    assert outcome(group, T0, {"w3"}) == [("d0", SendStatus.SENT)]
    assert outcome(group, T0, {"w3", "d0"}) == []
    # The latest is recorded and an earlier one is not (an office upgraded from a ledger that
    # recorded only what it sent): the earlier one is superseded, never sent late.
    assert outcome(group, T0, {"d0"}) == [("w3", SendStatus.SKIPPED)]


def test_moments_still_to_come_wait():
    assert outcome([due("a", -1), due("b", 1)], T0) == [("a", SendStatus.SENT)]
    assert outcome([due("b", 1)], T0) == []
