"""Updates handled concurrently across lanes, strictly in order within one lane.

A lane is one person in one chat: (chat id, user id). Two people never wait for each other, so a
reply that waits for its chat's Telegram pacing (1.1 s per message in a private chat) holds up
only the lane it is in; one person's updates still run one at a time in the order Telegram sent
them, as the conversations (drafts, answers, presses) require. An update without a chat or a
user (a poll, a shipping query) runs in a lane of its own kind.

PTB's `Application` hands every fetched update to its `BaseUpdateProcessor` as a task (when
`max_concurrent_updates` > 1), in the order getUpdates returned them; `do_process_update` queues
it on its lane before its first await, so the order within a lane is the order of arrival.

Bounds: at most `max_running` updates run at once (the rest wait their turn); a lane holds at
most `lane_limit` updates, and an update arriving at a full lane is dropped and logged (only a
flood fills a lane: flood control at the door, handlers/flood.py, ignores it anyway).
Each running update is watched (bot/watchdog.py): one running over a minute is logged once.
`screen` (handlers/flood.py `settled`) drops, before PTB builds a context, the updates that flood
control would certainly ignore, so a flood costs next to nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.watchdog import Watchdog

log = logging.getLogger("firegrid.lanes")

MAX_RUNNING = 64
LANE_LIMIT = 100
# What PTB's semaphore admits (queued in lanes included); beyond it the fetcher's tasks wait.
MAX_ADMITTED = 10_000

LaneKey = tuple[str, int, int]


def lane_of(update: object) -> LaneKey:
    """("chat", chat id, user id); ("kind", 0, 0)-like keys for updates without either."""
    if isinstance(update, Update):
        chat = update.effective_chat
        user = update.effective_user
        if chat is not None or user is not None:
            chat_id = chat.id if chat is not None else 0
            user_id = user.id if user is not None else 0
            return ("chat", chat_id, user_id)
        kinds = [
            name
            for name, value in update.to_dict().items()
            if name != "update_id" and value is not None
        ]
        return (kinds[0] if kinds else "update", 0, 0)
    return (type(update).__name__, 0, 0)


@dataclass
class _Lane:
    """Updates of one lane: `tail` completes when the newest one queued has finished."""

    tail: asyncio.Future[None] | None = None
    queued: int = 0
    overflowed: bool = False


class LaneProcessor(BaseUpdateProcessor):
    """Concurrent across lanes, ordered within a lane, bounded in flight and per lane."""

    def __init__(
        self,
        *,
        max_running: int = MAX_RUNNING,
        lane_limit: int = LANE_LIMIT,
        watchdog: Watchdog | None = None,
        screen: Callable[[object], bool] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates=MAX_ADMITTED)
        self.screen = screen  # True: drop the update unhandled (flood control's settled cases)
        self.screened = 0
        self.max_running = max_running
        self.lane_limit = lane_limit
        self.watchdog = watchdog
        self.dropped = 0
        self._lanes: dict[LaneKey, _Lane] = {}
        self._running: asyncio.Semaphore | None = None
        self._idle: asyncio.Event | None = None

    async def initialize(self) -> None:
        """Created here so that they belong to the running event loop."""
        self._running = asyncio.Semaphore(self.max_running)
        self._idle = asyncio.Event()
        self._idle.set()

    async def shutdown(self) -> None:
        """Nothing to free: PTB awaits or cancels the update tasks itself."""

    @property
    def lanes(self) -> int:
        """Lanes with updates queued or running."""
        return len(self._lanes)

    async def drained(self) -> None:
        """Wait until no lane holds an update (tests and benchmarks)."""
        if self._idle is not None:
            await self._idle.wait()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Queue on the update's lane (before any await), wait for its turn, then run it."""
        if self._running is None or self._idle is None:
            await self.initialize()
        assert self._running is not None and self._idle is not None
        if self.screen is not None and self.screen(update):
            self.screened += 1
            _close(coroutine)
            return
        key = lane_of(update)
        lane = self._lanes.setdefault(key, _Lane())
        if lane.queued >= self.lane_limit:
            self.dropped += 1
            if not lane.overflowed:
                lane.overflowed = True
                log.warning("lane %s holds %d updates: dropping more", key, lane.queued)
            _close(coroutine)
            return
        before = lane.tail
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane.tail = mine
        lane.queued += 1
        self._idle.clear()
        started = False
        try:
            if before is not None:
                await asyncio.shield(before)
            async with self._running:
                started = True
                await self._run(update, key, coroutine)
        finally:
            if not started:
                _close(coroutine)
            mine.set_result(None)
            lane.queued -= 1
            if lane.queued == 0:
                lane.overflowed = False
                if self._lanes.get(key) is lane:
                    del self._lanes[key]
            if not self._lanes:
                self._idle.set()

    async def _run(self, update: object, key: LaneKey, coroutine: Awaitable[Any]) -> None:
        if self.watchdog is None:
            await coroutine
            return
        update_id = update.update_id if isinstance(update, Update) else "?"
        with self.watchdog.watch(f"update {update_id} (lane {key[0]}:{key[1]}:{key[2]})"):
            await coroutine


def _close(coroutine: Awaitable[Any]) -> None:
    """An update that will not run: close its coroutine (no 'never awaited' warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
