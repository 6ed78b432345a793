"""One `firegrid run` per SQLite database: a lock file beside it, held while the process lives.

The operating system drops an flock when its process dies, even on SIGKILL, so a crashed run
never blocks the next one. PostgreSQL needs no lock: workers claim rows with SKIP LOCKED.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from bot.db import sqlite_path


class AlreadyRunning(Exception):
    """Another process holds the database; the message is one line for the operator."""


class ProcessLock:
    """An exclusive, non-blocking flock on `<database>.lock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> ProcessLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise AlreadyRunning(
                f"firegrid is already running on {self.path.with_suffix('')} ({holder}); "
                "stop it first — one process per SQLite database (use PostgreSQL to run several)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def lock_database(database_url: str) -> ProcessLock | None:
    """Hold the SQLite database for this process; None for PostgreSQL (or in-memory SQLite)."""
    path = sqlite_path(database_url)
    if path is None:
        return None
    return ProcessLock(path.with_name(path.name + ".lock")).acquire()
