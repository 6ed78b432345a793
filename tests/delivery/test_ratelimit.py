"""The client-side buckets and PTB's rate limiter slot, on a fake monotonic clock."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import ALREADY_PACED, FakePacing, OutboundLimiter, SharedRateLimiter, take
from faketg.limits import LimitPolicy, RateLimits

# PTB 22 warns whenever a RetryAfter is built with seconds (its deprecation, not ours).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def send_all(limiter: OutboundLimiter, pacing: FakePacing, chats: list[int]) -> RateLimits:
    """Send to each chat in turn, pacing on the limiter; Telegram's buckets judge every send."""
    server = RateLimits(clock=pacing.monotonic, policy=LimitPolicy())
    for chat in chats:
        await take(limiter, pacing, chat)
        server.admit(chat, chat < 0)
    return server


async def test_overall_rate_stays_under_thirty_a_second():
    pacing = FakePacing()
    limiter = OutboundLimiter(clock=pacing.monotonic)
    server = await send_all(limiter, pacing, [-(i + 1) for i in range(300)])
    assert server.rejected == 0
    assert 300 / 30 * 0.9 <= pacing.slept <= 300 / 30 * 1.1


async def test_one_group_gets_twenty_a_minute_and_a_person_one_a_second():
    pacing = FakePacing()
    limiter = OutboundLimiter(clock=pacing.monotonic)
    server = await send_all(limiter, pacing, [-5] * 40)
    assert server.rejected == 0 and 60 <= pacing.slept <= 80

    pacing = FakePacing()
    limiter = OutboundLimiter(clock=pacing.monotonic)
    server = await send_all(limiter, pacing, [42] * 10)
    assert server.rejected == 0 and 9 <= pacing.slept <= 11


def test_reserve_takes_nothing_when_it_says_wait():
    pacing = FakePacing()
    limiter = OutboundLimiter(clock=pacing.monotonic)
    assert limiter.reserve(42).ok
    verdict = limiter.reserve(42)
    assert not verdict.ok and verdict.scope == "private" and verdict.wait == pytest.approx(1.1)
    assert limiter.reserve(43).ok  # another person is not held up


def test_a_429_holds_only_that_chat():
    pacing = FakePacing()
    limiter = OutboundLimiter(clock=pacing.monotonic)
    limiter.hold(-7, 12)
    assert limiter.chat_wait(-7).scope == "hold" and limiter.chat_wait(-7).wait == 12
    assert limiter.chat_wait(-8).ok


class Calls:
    def __init__(self, fail_first: int = 0) -> None:
        self.count = 0
        self.fail_first = fail_first

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.count += 1
        if self.count <= self.fail_first:
            raise RetryAfter(3)
        return {"ok": True}


async def test_ptb_slot_waits_for_direct_replies_but_not_for_the_outbox():
    pacing = FakePacing()
    limiter = OutboundLimiter(clock=pacing.monotonic)
    slot = SharedRateLimiter(limiter, pacing)
    calls = Calls()
    for _ in range(3):
        await slot.process_request(calls, (), {}, "sendMessage", {"chat_id": 42}, None)
    assert pacing.slept == pytest.approx(2.2)
    before = pacing.slept
    await slot.process_request(calls, (), {}, "sendMessage", {"chat_id": 42}, ALREADY_PACED)
    await slot.process_request(calls, (), {}, "answerCallbackQuery", {}, None)
    assert pacing.slept == before and calls.count == 5


async def test_ptb_slot_retries_one_429_after_retry_after():
    pacing = FakePacing()
    slot = SharedRateLimiter(OutboundLimiter(clock=pacing.monotonic), pacing)
    calls = Calls(fail_first=1)
    await slot.process_request(calls, (), {}, "sendMessage", {"chat_id": -3}, None)
    assert calls.count == 2 and pacing.slept >= 3
    with pytest.raises(RetryAfter):
        await slot.process_request(
            Calls(fail_first=2), (), {}, "sendMessage", {"chat_id": -4}, None
        )
