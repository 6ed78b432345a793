"""The periodic tick: every FIREGRID_TICK_SECONDS, each feature looks for due work in the database.

Each step is `async def step(rt, now)`: the clock is read once per tick and passed in. Steps
are idempotent, so a tick that runs twice (or after a crash) changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from telegram.ext import Application, ContextTypes

from services.bulletin.delivery import deliver_month_end
from services.cases.tick import step as cases_step
from services.forms.chase import chase_step
from services.reminders.tick import reminders_step
from services.runtime import Runtime

log = logging.getLogger("firegrid.scheduler")

Step = Callable[[Runtime, datetime], Awaitable[object]]
AfterTick = Callable[[Application], Awaitable[object]]

# Due-work steps, in order; each feature adds its own.
STEPS: list[Step] = [cases_step, chase_step, reminders_step, deliver_month_end]


async def run_steps(rt: Runtime, now: datetime, steps: Sequence[Step] | None = None) -> None:
    """Run every step once; a failing step is logged and does not stop the others."""
    for step in STEPS if steps is None else steps:
        try:
            await step(rt, now)
        except Exception:
            log.exception("tick step %s failed", getattr(step, "__qualname__", step))


def install(app: Application, *, every: float, after: AfterTick | None = None) -> None:
    """Schedule the tick on PTB's JobQueue (the job only calls services; rows hold the state)."""

    async def tick(context: ContextTypes.DEFAULT_TYPE) -> None:
        rt: Runtime = context.application.bot_data.runtime  # type: ignore[attr-defined]
        await run_steps(rt, rt.now())
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
