"""The send budget of the bot token, shared by every process on one PostgreSQL database.

Each process keeps its own `OutboundLimiter` (bot/ratelimit.py) and, on PostgreSQL, also takes
every message from the shared buckets in `send_buckets` (services/sendbudget.py): the ~30
messages a second and the per-chat limits belong to the token, so three couriers together send
what one would, never three times as much. The local buckets stay: they cost nothing and keep
a single process exactly as before.

Why a shared token bucket rather than dividing the budget among live couriers: it needs no
membership view (a courier that joins or dies changes nothing to count), it holds for direct
replies from `web` processes too, a chat's bucket survives the process that last wrote to it,
and it costs one statement per message — at 30 messages a second, nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.ratelimit import Limits, Pacing, Verdict
from services.sendbudget import OVERALL, Limit, prune, reserve, waits


@dataclass
class SharedBudget:
    """The token's buckets in the database; `clock` None: the database server's clock."""

    engine: AsyncEngine
    pacing: Pacing
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], float] | None = None

    def _chat_limit(self, chat_id: int, *, reply: bool = False) -> Limit:
        group = chat_id < 0
        burst, rate = self.limits.group if group else self.limits.private
        return Limit(self._top(burst, reply and group), rate)

    def _top(self, burst: float, reply: bool) -> float:
        """A direct reply fills a bucket only up to reply_share: the rest is office headroom."""
        return burst * self.limits.reply_share if reply else burst

    async def reserve(self, chat_id: int, count: float = 1, *, reply: bool = False) -> Verdict:
        """Take `count` messages for this chat from the shared buckets, or say how long to wait.

        As in bot/ratelimit.py: `reply` keeps the office headroom free, and a weight above a
        bucket's capacity is admitted once that bucket is empty (then charged in full)."""
        burst, rate = self.limits.overall
        buckets = {
            OVERALL: Limit(self._top(burst, reply), rate),
            chat_id: self._chat_limit(chat_id, reply=reply),
        }
        async with self._autocommit() as conn:
            wait = await reserve(conn, buckets, count, self._now())
        return Verdict(wait, "shared" if wait > 0 else "")

    async def take(self, chat_id: int, count: float = 1, *, reply: bool = False) -> None:
        """Wait until the shared buckets allow `count` messages to this chat, and take them."""
        while True:
            verdict = await self.reserve(chat_id, count, reply=reply)
            if verdict.ok:
                return
            await self.pacing.sleep(verdict.wait)

    async def chat_waits(self, chat_ids: list[int]) -> dict[int, float]:
        """How long each chat's shared bucket makes it wait (a read; takes nothing)."""
        async with self._autocommit() as conn:
            return await waits(
                conn, {chat: self._chat_limit(chat) for chat in chat_ids}, self._now()
            )

    @asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection where each statement commits by itself: one round trip."""
        async with self.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    def _now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    async def prune(self) -> int:
        """Forget chat buckets idle for five minutes."""
        async with self._autocommit() as conn:
            return await prune(conn, self._now())
