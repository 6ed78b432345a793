"""The per-person budgets of services/flood.py, as pure counting over passed-in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.orgfile import FloodSpec
from services.flood import FloodGate, Verdict

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_a_stranger_gets_one_answer_per_window():
    gate = FloodGate(FloodSpec(stranger_answer_minutes=5))
    assert gate.needs_lookup(7, T0)
    gate.learn(7, False, T0)
    assert not gate.needs_lookup(7, T0)
    verdicts = [gate.admit(7, T0 + timedelta(seconds=i)) for i in range(200)]
    assert verdicts[0] is Verdict.PASS and set(verdicts[1:]) == {Verdict.IGNORE}
    later = T0 + timedelta(minutes=5, seconds=1)
    assert gate.needs_lookup(7, later)  # looked up again: perhaps registered meanwhile
    gate.learn(7, False, later)
    assert gate.admit(7, later) is Verdict.PASS
    assert gate.ignored == 199


def test_a_member_over_the_minute_is_told_once_then_ignored_until_it_passes():
    gate = FloodGate(FloodSpec(updates_per_minute=20))
    gate.learn(8, True, T0)
    verdicts = [gate.admit(8, T0 + timedelta(seconds=i)) for i in range(25)]
    assert verdicts[:20] == [Verdict.PASS] * 20
    assert verdicts[20] is Verdict.WARN and verdicts[21:] == [Verdict.IGNORE] * 4
    assert gate.admit(8, T0 + timedelta(seconds=60)) is Verdict.PASS


def test_an_album_counts_once_and_shares_its_verdict():
    gate = FloodGate(FloodSpec(stranger_answer_minutes=5))
    gate.learn(9, False, T0)
    assert [gate.admit(9, T0, album="a") for _ in range(4)] == [Verdict.PASS] * 4
    assert gate.admit(9, T0, album="b") is Verdict.IGNORE
    assert gate.admit(9, T0, album="b") is Verdict.IGNORE


def test_registration_learnt_anew_starts_a_new_budget():
    gate = FloodGate(FloodSpec())
    gate.learn(10, False, T0)
    assert gate.admit(10, T0) is Verdict.PASS
    assert gate.admit(10, T0) is Verdict.IGNORE
    gate.forget(10)  # redeemed an invitation
    assert gate.needs_lookup(10, T0)
    gate.learn(10, True, T0)
    assert gate.admit(10, T0) is Verdict.PASS
