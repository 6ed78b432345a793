"""Work running longer than a minute is logged once, with what it waits for (fake time)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.ratelimit import OutboundLimiter, take
from bot.watchdog import Watchdog


class Frozen:
    """Monotonic fake time that moves only when the test says so; sleeping yields only."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


async def test_a_reply_stuck_on_pacing_is_logged_once_with_the_chat(
    caplog: pytest.LogCaptureFixture,
):
    time = Frozen()
    watchdog = Watchdog(clock=time.monotonic)
    limiter = OutboundLimiter(clock=time.monotonic)
    limiter.hold(42, 3600)  # Telegram said 429 for an hour

    async def handler() -> None:
        with watchdog.watch("update 7 (lane 42:42)"):
            await take(limiter, time, 42, reply=True)

    task = asyncio.create_task(handler())
    await asyncio.sleep(0)
    time.now += 30
    assert watchdog.check() == []
    time.now += 31
    with caplog.at_level(logging.WARNING, logger="firegrid.watchdog"):
        late = watchdog.check()
        assert watchdog.check() == []  # once
    assert [w.label for w in late] == ["update 7 (lane 42:42)"]
    assert caplog.messages == [
        "update 7 (lane 42:42) has been running for 61 s, waiting for "
        "Telegram pacing of chat 42 (hold, 3600.0 s)"
    ]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert watchdog.running == []


def test_work_that_finishes_in_time_is_not_logged():
    time = Frozen()
    watchdog = Watchdog(clock=time.monotonic)
    with watchdog.watch("delivery of outbox row 3") as item:
        time.now += 59
        assert watchdog.check() == [] and item.waiting_for == ""
    time.now += 10
    assert watchdog.check() == [] and watchdog.running == []
