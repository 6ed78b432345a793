"""The SQLite single-process lock (filelock: the same code path on Linux, macOS and Windows)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.lock import AlreadyRunning, lock_database


def test_a_second_holder_is_refused_in_one_line_and_the_lock_is_free_after_release(
    tmp_path: Path,
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'firegrid.db'}"
    first = lock_database(url)
    assert first is not None
    with pytest.raises(AlreadyRunning) as refused:
        lock_database(url)
    message = str(refused.value)
    assert "\n" not in message and "firegrid.db" in message and "pid " in message
    first.release()
    again = lock_database(url)
    assert again is not None
    again.release()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'firegrid.db'}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bot.lock import lock_database; held = lock_database(sys.argv[1]); "
            "print('held', flush=True); sys.stdin.read()",
            url,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(AlreadyRunning):
            lock_database(url)
    finally:
        holder.kill()
        holder.wait()
    lock = lock_database(url)
    assert lock is not None
    lock.release()


def test_postgresql_takes_no_lock():
    assert lock_database("postgresql+asyncpg://u@127.0.0.1/db") is None
