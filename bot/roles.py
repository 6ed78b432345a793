"""What a process does: `firegrid run` everything, `web` the updates, `worker` the tick and courier.

On PostgreSQL any number of each may share one database (and one bot token): updates are
handled once (processed_updates), every tick step is idempotent, outbox rows are claimed with
SKIP LOCKED in per-chat order, and the token's send budget is shared (bot/sharedbudget.py).
SQLite is one process: `run` only (bot/lock.py).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RUN = "run"  # receives updates, ticks, delivers
    WEB = "web"  # receives updates and handles them; replies directly, the outbox waits
    WORKER = "worker"  # ticks and delivers the outbox; receives no updates

    @property
    def receives(self) -> bool:
        """Takes updates from Telegram (polling today; the webhook of the web app later)."""
        return self is not Role.WORKER

    @property
    def ticks(self) -> bool:
        """Runs the scheduler tick (ladders, reminders, chasers, bulletin)."""
        return self is not Role.WEB

    @property
    def delivers(self) -> bool:
        """Runs the background courier."""
        return self is not Role.WEB


def sqlite_refusal(role: Role) -> str:
    """One line for `firegrid web|worker` on SQLite, which cannot share its file."""
    return (
        f"`firegrid {role}` runs beside other FireGrid processes on one database, which SQLite "
        "cannot do (one process per file); on SQLite run `firegrid run` alone, or set "
        "DATABASE_URL=postgresql+asyncpg://… to run web and worker processes."
    )
