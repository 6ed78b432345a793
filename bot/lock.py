"""One `firegrid run` per SQLite database: a lock file beside it, held while the process lives.

`filelock` takes an OS lock (flock on Linux and macOS, msvcrt on Windows), which the operating
system drops when its process dies, even on SIGKILL or a killed console on Windows, so a crashed
run never blocks the next one. The holder's pid goes in `<lock>.pid` beside it (a locked file
cannot be read on Windows). PostgreSQL needs no lock: workers claim rows with SKIP LOCKED.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from filelock import FileLock, Timeout

from bot.db import sqlite_path


class AlreadyRunning(Exception):
    """Another process holds the database; the message is one line for the operator."""


class ProcessLock:
    """An exclusive, non-blocking lock on `<database>.lock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pid_file = path.with_name(path.name + ".pid")
        # Not thread-local and not shared: a second ProcessLock on the same file, even in this
        # process, is refused like another process would be.
        self._lock = FileLock(path, timeout=0, thread_local=False, is_singleton=False)

    def acquire(self) -> ProcessLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            holder = "another process"
            with suppress(OSError):
                holder = self.pid_file.read_text(encoding="utf-8").strip() or holder
            raise AlreadyRunning(
                f"firegrid is already running on {self.path.with_suffix('')} ({holder}); "
                "stop it first — one process per SQLite database (use PostgreSQL to run several)."
            ) from None
        with suppress(OSError):
            self.pid_file.write_text(f"pid {os.getpid()}\n", encoding="utf-8")
        return self

    def release(self) -> None:
        if self._lock.is_locked:
            with suppress(OSError):
                self.pid_file.unlink()
            self._lock.release()


def lock_database(database_url: str) -> ProcessLock | None:
    """Hold the SQLite database for this process; None for PostgreSQL (or in-memory SQLite)."""
    path = sqlite_path(database_url)
    if path is None:
        return None
    return ProcessLock(path.with_name(path.name + ".lock")).acquire()
