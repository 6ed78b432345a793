"""`firegrid run` in processes forked from one that has already imported the bot.

The crash test starts the bot again and again. A fresh interpreter spends about two seconds of
CPU importing PTB, SQLAlchemy, matplotlib and the rest before the bot does anything; a
forkserver (standard library) imports them once, and each run is a fork of it calling the
console script's own entry point, `bot.cli.main(["run"])`: a real, separate process reading its
settings from the environment, killed with a real SIGKILL.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path

import bot.cli
import bot.run

_CONTEXT: ForkServerContext | None = None


def _context() -> ForkServerContext:
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        # Only this module (and what it imports); not pytest's __main__.
        context.set_forkserver_preload([__name__])
        _CONTEXT = context
    return _CONTEXT


def _firegrid_run(env: dict[str, str], cwd: str, log: str) -> None:
    """In the forked child: the environment, folder and output of `firegrid run`, then run it."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # Unbuffered as PYTHONUNBUFFERED makes a started process: a SIGKILL loses no log line.
    sys.stdout.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["firegrid", "run"]
    sys.exit(bot.cli.main(["run"]))


def start_run(env: dict[str, str], cwd: Path, log: Path) -> ForkServerProcess:
    """A new `firegrid run`, its output appended to `log`."""
    process = _context().Process(target=_firegrid_run, args=(dict(env), str(cwd), str(log)))
    process.start()
    return process
