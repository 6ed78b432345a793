"""Pacing sends to Telegram's limits: ~30 messages/s overall, 20/min per group, 1/s per private chat.

One `OutboundLimiter` per process is shared by the outbox courier (which asks before it sends
and never blocks inside PTB) and by direct replies (which go through `SharedRateLimiter`, the
PTB adapter that waits on the same buckets). PTB's AIORateLimiter is not used: it would make
outbox sends wait twice and retry 429s behind the courier's back.

Each limit is a leaky bucket like the one Telegram (and faketg/limits.py) applies, a little
tighter, so that a few milliseconds of network jitter never push the server's bucket over.
Time comes from an injected monotonic clock; tests pass `FakePacing` and never sleep.

Weights: a request of weight N (an album of N photos) larger than a bucket's capacity (1 in a
private chat) is admitted once that bucket is empty and then charged in full, so the next
request waits for the debt to drain; every weight is admitted after a bounded wait.

Priority: direct replies (a person's own command) may fill the overall and group buckets only up
to `Limits.reply_share` of their capacity; the rest is headroom that only the courier's office
messages (dispatch cards, 催办, escalations) may use, so a flood of replies never queues the
office behind it.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.watchdog import note_waiting
from services.clock import FakeClock

# Bot API methods that put a new message into a chat (the ones Telegram's flood limits count).
PACED_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendLocation"}
)
# rate_limit_args the courier passes: it has already waited, the adapter must not wait again.
ALREADY_PACED = "outbox"


class Pacing(Protocol):
    """Where the limiter reads the time and how it waits."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> Awaitable[None]: ...


class SystemPacing:
    """Real time: time.monotonic and asyncio.sleep."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class PacingStall(AssertionError):
    """A FakePacing waited longer than its budget: in real time this would be a stall."""


class FakePacing:
    """Virtual time for tests and the demo: sleeping moves the clock instead of waiting.

    When a FakeClock is given, it moves too, so rows whose not_before lies inside the wait
    become due just as they would in real time. `budget` (virtual seconds) turns a stall into a
    failure: sleeping beyond it raises instead of spinning forever.
    """

    def __init__(
        self, wall: FakeClock | None = None, start: float = 1000.0, budget: float | None = None
    ) -> None:
        self.now = start
        self.wall = wall
        self.slept = 0.0
        self.budget = budget

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            if self.budget is not None and self.slept + seconds > self.budget:
                raise PacingStall(f"waited over {self.budget:.0f} s of virtual time")
            self.now += seconds
            self.slept += seconds
            if self.wall is not None:
                self.wall.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


@dataclass
class Bucket:
    """A leaky bucket: holds up to `capacity` messages and drains `rate` per second."""

    capacity: float
    rate: float
    level: float = 0.0
    at: float = 0.0

    def leak(self, now: float) -> None:
        if now > self.at:
            self.level = max(0.0, self.level - (now - self.at) * self.rate)
            self.at = now

    def wait(self, now: float, count: float, ceiling: float | None = None) -> float:
        """Seconds until `count` more messages fit under `ceiling` (default: the capacity).

        A weight above the ceiling fits once the bucket is empty (it is charged in full).
        """
        self.leak(now)
        top = self.capacity if ceiling is None else min(ceiling, self.capacity)
        excess = self.level + min(count, top) - top
        # A wait of a few nanoseconds is float rounding, not a limit (and would never pass
        # on a clock whose resolution is coarser than that).
        return excess / self.rate if excess > 1e-6 else 0.0


@dataclass(frozen=True)
class Limits:
    """Client-side limits, as (burst, messages per second); a margin below Telegram's own."""

    overall: tuple[float, float] = (25.0, 29.5)
    group: tuple[float, float] = (18.0, 19.0 / 60.0)
    private: tuple[float, float] = (1.0, 1.0 / 1.1)
    # Direct replies may fill the overall and group buckets up to this share of their capacity.
    reply_share: float = 2.0 / 3.0


@dataclass(frozen=True)
class Verdict:
    """The answer to "may I send now?": wait 0 means the messages were taken."""

    wait: float
    scope: str = ""  # overall | group | private | hold (after a 429)

    @property
    def ok(self) -> bool:
        return self.wait <= 0


@dataclass
class OutboundLimiter:
    """The buckets of one process; `clock` is monotonic seconds."""

    clock: Callable[[], float] = time.monotonic
    limits: Limits = field(default_factory=Limits)
    _overall: Bucket | None = None
    _chats: dict[int, Bucket] = field(default_factory=dict)
    _holds: dict[int, float] = field(default_factory=dict)

    @staticmethod
    def is_group(chat_id: int) -> bool:
        """Groups, supergroups and channels have negative ids; people positive ones."""
        return chat_id < 0

    def _chat_bucket(self, chat_id: int) -> Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            burst, rate = self.limits.group if self.is_group(chat_id) else self.limits.private
            bucket = Bucket(capacity=burst, rate=rate, at=self.clock())
            if len(self._chats) > 5000:
                self._prune()
            self._chats[chat_id] = bucket
        return bucket

    def _overall_bucket(self) -> Bucket:
        if self._overall is None:
            burst, rate = self.limits.overall
            self._overall = Bucket(capacity=burst, rate=rate, at=self.clock())
        return self._overall

    def _prune(self) -> None:
        now = self.clock()
        for chat_id in [c for c, b in self._chats.items() if b.wait(now, 0) == 0 and b.level == 0]:
            del self._chats[chat_id]
        self._holds = {c: t for c, t in self._holds.items() if t > now}

    def _ceiling(self, bucket: Bucket, reply: bool) -> float | None:
        return bucket.capacity * self.limits.reply_share if reply else None

    def chat_wait(self, chat_id: int, count: float = 1, *, reply: bool = False) -> Verdict:
        """How long this chat must wait (its own bucket and any 429 hold); takes nothing."""
        now = self.clock()
        hold = self._holds.get(chat_id, 0.0) - now
        bucket = self._chat_bucket(chat_id)
        group = self.is_group(chat_id)
        wait = bucket.wait(now, count, self._ceiling(bucket, reply and group))
        if hold > wait:
            return Verdict(hold, "hold")
        return Verdict(wait, "group" if group else "private")

    def reserve(self, chat_id: int, count: float = 1, *, reply: bool = False) -> Verdict:
        """Take `count` messages for this chat if every bucket allows; else say how long to wait.

        `reply`: a direct reply, held below the headroom kept for office messages.
        """
        now = self.clock()
        verdict = self.chat_wait(chat_id, count, reply=reply)
        bucket = self._overall_bucket()
        overall = bucket.wait(now, count, self._ceiling(bucket, reply))
        if overall > verdict.wait:
            verdict = Verdict(overall, "overall")
        if verdict.wait > 0:
            return verdict
        self._overall_bucket().level += count
        self._chat_bucket(chat_id).level += count
        return Verdict(0.0)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`."""
        self._holds[chat_id] = max(self._holds.get(chat_id, 0.0), self.clock() + seconds)


async def take(
    limiter: OutboundLimiter,
    pacing: Pacing,
    chat_id: int,
    count: float = 1,
    *,
    reply: bool = False,
) -> None:
    """Wait (with `pacing`) until the buckets allow `count` messages to this chat, and take them.

    While it waits, the watched task (bot/watchdog.py) says so, in case it waits for long.
    """
    while True:
        verdict = limiter.reserve(chat_id, count, reply=reply)
        if verdict.ok:
            note_waiting("")
            return
        note_waiting(f"Telegram pacing of chat {chat_id} ({verdict.scope}, {verdict.wait:.1f} s)")
        await pacing.sleep(verdict.wait)


def retry_after_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta, depending on PTB's settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is deprecated
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def chat_id_of(data: dict[str, Any]) -> int | None:
    raw = data.get("chat_id")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    return None


class SharedTake(Protocol):
    """A budget beyond this process's buckets (bot/sharedbudget.py): wait and take."""

    async def take(self, chat_id: int, count: float = 1, *, reply: bool = False) -> None: ...


class SharedRateLimiter(BaseRateLimiter[str]):
    """PTB's rate limiter slot: direct replies wait on the shared buckets; outbox sends pass.

    A direct reply that still meets a 429 is retried once after retry_after (up to
    `max_retry_after` seconds); the outbox handles its own 429s row by row.
    """

    def __init__(
        self,
        limiter: OutboundLimiter,
        pacing: Pacing,
        *,
        max_retry_after: float = 30.0,
        shared: SharedTake | None = None,
    ) -> None:
        self.limiter = limiter
        self.pacing = pacing
        self.max_retry_after = max_retry_after
        # On PostgreSQL: the token's budget shared with the other processes (bot/sharedbudget.py)
        self.shared = shared

    async def initialize(self) -> None:
        """The buckets need no set-up."""

    async def shutdown(self) -> None:
        """The buckets need no clean-up."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the buckets (direct replies only), call, retry one 429."""
        chat_id = chat_id_of(data)
        paced = endpoint in PACED_METHODS and chat_id is not None
        if rate_limit_args == ALREADY_PACED or not paced:
            return await callback(*args, **kwargs)
        assert chat_id is not None
        count = len(data.get("media") or [None]) if endpoint == "sendMediaGroup" else 1
        await self._take(chat_id, count)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            seconds = retry_after_seconds(error)
            if seconds > self.max_retry_after:
                raise
            self.limiter.hold(chat_id, seconds)
            await self._take(chat_id, count)
            return await callback(*args, **kwargs)

    async def _take(self, chat_id: int, count: float) -> None:
        """A direct reply: below the office headroom, locally and in the token's shared buckets."""
        await take(self.limiter, self.pacing, chat_id, count, reply=True)
        if self.shared is not None:
            await self.shared.take(chat_id, count, reply=True)
