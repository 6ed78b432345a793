"""Telegram's broadcast limits, enforced like the server does: 429 with retry_after when broken.

Each limit is a leaky bucket (capacity N, draining N per period): about 30 messages a second
overall, 20 a minute per group, 1 a second per private chat. A client that paces itself with the
same buckets never sees a 429; `jitter` absorbs the few milliseconds a request spends between
the client's limiter and this server (a request may arrive that much early without a 429).
PTB's AIORateLimiter paces overall and per group, not per private chat: pace those yourself.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LimitPolicy:
    """The limits, as (messages, seconds) pairs."""

    overall: tuple[float, float] = (30, 1.0)
    per_group: tuple[float, float] = (20, 60.0)
    per_private_chat: tuple[float, float] = (1, 1.0)
    jitter: float = 0.02  # seconds of arrival jitter tolerated


@dataclass
class _Bucket:
    capacity: float
    rate: float  # messages drained per second
    level: float = 0.0
    at: float | None = None

    def leak(self, now: float) -> None:
        if self.at is not None:
            self.level = max(0.0, self.level - (now - self.at) * self.rate)
        self.at = now

    def wait_for(self, count: int, jitter: float) -> float:
        """Seconds until `count` messages fit; 0 when they fit now or within `jitter`.

        An album larger than the bucket (N photos to a private chat) is one request to Telegram:
        it goes once the bucket is empty.
        """
        wait = (self.level + min(count, self.capacity) - self.capacity) / self.rate
        return wait if wait > jitter else 0.0


@dataclass
class RateLimits:
    """The buckets of one fake Telegram and the 429s they gave."""

    clock: Callable[[], float]
    policy: LimitPolicy = field(default_factory=LimitPolicy)
    rejected: int = 0
    rejected_by_scope: Counter[str] = field(default_factory=Counter)
    admitted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _buckets: dict[tuple[str, int], _Bucket] = field(default_factory=dict)

    def _bucket(self, scope: str, key: int, limit: tuple[float, float]) -> _Bucket:
        bucket = self._buckets.get((scope, key))
        if bucket is None:
            count, period = limit
            bucket = _Bucket(capacity=count, rate=count / period)
            self._buckets[(scope, key)] = bucket
        return bucket

    def admit(self, chat_id: int, is_group: bool, count: int = 1) -> int | None:
        """Take `count` messages for this chat; None if allowed, else the retry_after seconds."""
        with self._lock:
            now = self.clock()
            scoped = [("overall", self._bucket("overall", 0, self.policy.overall))]
            if is_group:
                scoped.append(("group", self._bucket("group", chat_id, self.policy.per_group)))
            else:
                scoped.append(
                    ("private", self._bucket("private", chat_id, self.policy.per_private_chat))
                )
            worst_wait, worst_scope = 0.0, ""
            for scope, bucket in scoped:
                bucket.leak(now)
                wait = bucket.wait_for(count, self.policy.jitter)
                if wait > worst_wait:
                    worst_wait, worst_scope = wait, scope
            if worst_wait > 0:
                self.rejected += 1
                self.rejected_by_scope[worst_scope] += 1
                return max(1, math.ceil(worst_wait - 1e-9))  # 2.0000000001 s is 2 s
            for _, bucket in scoped:
                bucket.level += count
            self.admitted += count
            return None
