"""The periodic tick: every FIREGRID_TICK_SECONDS, each feature looks for due work in the database.

Each step is `async def step(rt, now)`: the clock is read once per tick and passed in. Steps
are idempotent, so a tick that runs twice (or after a crash) changes nothing the second time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram.ext import Application, ContextTypes

from services.bulletin.delivery import deliver_month_end
from services.cases.tick import step as cases_step
from services.forms.chase import chase_step
from services.ops import heartbeat_step
from services.outage import OutageLog, is_connection_error
from services.reminders.tick import reminders_step
from services.runtime import Runtime
from services.updates import prune_step as prune_processed_updates

log = logging.getLogger("firegrid.scheduler")

Step = Callable[[Runtime, datetime], Awaitable[object]]
AfterTick = Callable[[Application], Awaitable[object]]
# Told each step's name, duration in seconds and whether it succeeded (the metrics listen).
StepObserver = Callable[[str, float, bool], None]

# Due-work steps, in order; each feature adds its own.
STEPS: list[Step] = [
    cases_step,
    chase_step,
    reminders_step,
    deliver_month_end,
    prune_processed_updates,
    heartbeat_step,  # last: /readyz reads when the tick last got this far
]


@dataclass
class TickLogs:
    """How failing steps are logged across ticks: once when it starts, minutely, once at the end.

    A lost database fails every step of every tick: that is one outage (`database`), not four
    tracebacks a tick. Any other error is its step's own (`of(step)`), so a bug in one step is
    still named with its traceback, once.
    """

    database: OutageLog = field(default_factory=lambda: OutageLog("scheduler tick (database)", log))
    steps: dict[str, OutageLog] = field(default_factory=dict)

    def of(self, step: Step) -> OutageLog:
        name = step_name(step)
        found = self.steps.get(name)
        if found is None:
            found = self.steps[name] = OutageLog(f"tick step {name}", log)
        return found


def step_name(step: Step) -> str:
    return getattr(step, "__qualname__", repr(step))


async def run_steps(
    rt: Runtime,
    now: datetime,
    steps: Sequence[Step] | None = None,
    logs: TickLogs | None = None,
    observe: StepObserver | None = None,
) -> None:
    """Run every step once; a failing step is logged (see TickLogs) and does not stop the others."""
    logs = logs or TickLogs()
    database_down = False
    for step in STEPS if steps is None else steps:
        started = time.perf_counter()
        ok = False
        try:
            await step(rt, now)
            ok = True
        except Exception as exc:
            if not is_connection_error(exc):
                logs.of(step).failed(exc, now)
            elif not database_down:  # one attempt per tick, however many steps it stopped
                database_down = True
                logs.database.failed(exc, now)
        else:
            logs.of(step).succeeded(now)
        finally:
            if observe is not None:
                observe(step_name(step), time.perf_counter() - started, ok)
    if not database_down:
        logs.database.succeeded(now)


def install(
    app: Application,
    *,
    every: float,
    after: AfterTick | None = None,
    logs: TickLogs | None = None,
    observe: StepObserver | None = None,
) -> None:
    """Schedule the tick on PTB's JobQueue (the job only calls services; rows hold the state)."""
    tick_logs = logs or TickLogs()

    async def tick(context: ContextTypes.DEFAULT_TYPE) -> None:
        rt: Runtime = context.application.bot_data.runtime  # type: ignore[attr-defined]
        await run_steps(rt, rt.now(), logs=tick_logs, observe=observe)
        if after is not None:
            await after(context.application)

    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    app.job_queue.run_repeating(
        tick,
        interval=timedelta(seconds=every),
        first=0.5,
        name="firegrid-tick",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
