"""Every weight is admitted after a bounded wait (issue 11, defect 13: an album froze the bot).

An album of N photos to a private chat weighs N against a bucket that holds 1; it goes once the
bucket is empty and is then charged in full. Direct replies stop below the office's headroom.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ratelimit import FakePacing, Limits, OutboundLimiter, take
from faketg.limits import LimitPolicy, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def bound(limits: Limits, chat_id: int, weight: int) -> float:
    """The longest a request may wait: a bucket at its fullest (capacity plus the heaviest
    charge) draining to admit it, whichever of the chat's and the overall bucket is slower."""
    chat = limits.group if chat_id < 0 else limits.private
    return max((cap + weight) / rate for cap, rate in (chat, limits.overall))


requests = st.lists(
    st.tuples(
        st.sampled_from([42, 43, -5, -6]),  # two people, two groups
        st.integers(min_value=1, max_value=30),  # weight (an album has up to 10; go beyond)
        st.booleans(),  # a direct reply or an office message
        st.floats(min_value=0, max_value=5),  # seconds since the previous request
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(requests)
def test_every_weight_and_every_sequence_is_admitted_after_a_bounded_wait(seq):
    clock = Clock()
    limiter = OutboundLimiter(clock=clock)
    heaviest = max(weight for _, weight, _, _ in seq)
    for chat_id, weight, reply, gap in seq:
        clock.now += gap
        started, tries = clock.now, 0
        while not (verdict := limiter.reserve(chat_id, weight, reply=reply)).ok:
            tries += 1
            assert tries <= 4, f"still told to wait after {tries} waits: {verdict}"
            clock.now += verdict.wait
        assert clock.now - started <= bound(limiter.limits, chat_id, heaviest) + 1e-6


def test_an_album_to_a_private_chat_waits_for_an_empty_bucket_then_goes():
    pacing = FakePacing(budget=60)
    limiter = OutboundLimiter(clock=pacing.monotonic)
    assert limiter.reserve(42, 1).ok
    verdict = limiter.reserve(42, 2)  # on main: "wait 1.1 s" forever
    assert not verdict.ok and verdict.wait == pytest.approx(1.1)
    pacing.now += verdict.wait
    assert limiter.reserve(42, 2).ok
    # charged in full: the next message waits for the debt
    assert limiter.reserve(42, 1).wait == pytest.approx(2.2)


async def test_albums_reach_telegram_without_a_429():
    pacing = FakePacing(budget=600)
    limiter = OutboundLimiter(clock=pacing.monotonic)
    server = RateLimits(clock=pacing.monotonic, policy=LimitPolicy())
    for chat_id, weight in [(42, 3), (42, 10), (42, 1), (-5, 10), (-5, 10), (-5, 10), (42, 2)]:
        await take(limiter, pacing, chat_id, weight)
        assert server.admit(chat_id, chat_id < 0, weight) is None
    assert pacing.slept < 120


def test_replies_leave_the_office_headroom_in_a_group_and_overall():
    clock = Clock()
    limiter = OutboundLimiter(clock=clock)
    replies = 0
    while limiter.reserve(-5, reply=True).ok:
        replies += 1
    assert replies == 12  # two thirds of the group's 18
    office = 0
    while limiter.reserve(-5).ok:
        office += 1
    assert office == 6  # the dispatch card still goes at once
    clock.now += 60
    # overall: 30 people answered at once fill two thirds; the courier finds a third free
    sent = sum(limiter.reserve(100 + i, reply=True).ok for i in range(30))
    assert sent == 16
    assert all(limiter.reserve(200 + i).ok for i in range(8))
