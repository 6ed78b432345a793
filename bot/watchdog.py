"""Long-running work is logged once, with what it waits for.

A handler (one update) or a delivery (one outbox row) that runs longer than `limit` seconds
(a minute) is logged once as a warning naming the work and what it is waiting for at that moment
(e.g. "Telegram pacing of chat 42 (private, 1.1 s)"), so a stall is never silent. The work
itself is not interrupted: the watchdog only tells.

Work is registered with `Watchdog.watch(label)` (a context manager); code deep inside it says
what it waits for with `note_waiting(text)`, found through a context variable, so the rate
limiter needs no reference to the watchdog. `check()` is called by a background loop in
production (`run`) and directly by tests, which move a fake clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field

log = logging.getLogger("firegrid.watchdog")

DEFAULT_LIMIT = 60.0


@dataclass
class Watch:
    """One piece of work being watched."""

    label: str
    started: float
    waiting_for: str = ""
    reported: bool = False


_current: ContextVar[Watch | None] = ContextVar("firegrid_watch", default=None)


def note_waiting(what: str) -> None:
    """Say what the watched work in this task waits for now ("" when it no longer waits)."""
    watch = _current.get()
    if watch is not None:
        watch.waiting_for = what


@dataclass
class Watchdog:
    """Watches handlers and deliveries; `clock` is monotonic seconds (a fake one in tests)."""

    clock: Callable[[], float]
    limit: float = DEFAULT_LIMIT
    _running: dict[int, Watch] = field(default_factory=dict)
    _next: int = 0
    _task: asyncio.Task[None] | None = None

    @contextmanager
    def watch(self, label: str) -> Iterator[Watch]:
        """Watch the work inside this block (in this task and the tasks it starts)."""
        self._next += 1
        key = self._next
        item = Watch(label=label, started=self.clock())
        self._running[key] = item
        token = _current.set(item)
        try:
            yield item
        finally:
            _current.reset(token)
            del self._running[key]

    @property
    def running(self) -> list[Watch]:
        return list(self._running.values())

    def check(self) -> list[Watch]:
        """Log, once each, the work running longer than the limit; returns what it logged."""
        now = self.clock()
        late = [
            w for w in self._running.values() if not w.reported and now - w.started > self.limit
        ]
        for item in late:
            item.reported = True
            log.warning(
                "%s has been running for %.0f s, waiting for %s",
                item.label,
                now - item.started,
                item.waiting_for or "its own work (a database call or a handler)",
            )
        return late

    async def run(self, every: float = 10.0) -> None:
        """Check every `every` seconds until cancelled (production's background loop)."""
        while True:
            await asyncio.sleep(every)
            self.check()

    def start(self, every: float = 10.0) -> None:
        """Run the checks in the background (production; tests call check())."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(every), name="firegrid-watchdog")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
