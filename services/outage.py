"""Logging a failure that repeats (the database is down) once, not once per attempt.

A loop that retries every second would otherwise write a traceback a second for as long as
the outage lasts (a 30 s PostgreSQL cut once made ~14,000 log lines). An OutageLog says:
    the first failure      -> one line with the cause (a traceback only when the cause is not
                              a lost connection, i.e. probably a bug worth reading)
    while it keeps failing -> one reminder at most every `remind_every`, with the count
    the first success      -> one line with how long it lasted
Time is passed in (`now`), so tests run it in virtual time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import InterfaceError, OperationalError

# Errors that mean "the database (or the network to it) is not there", not "the code is wrong".
# (OSError covers ConnectionRefusedError, ConnectionResetError and TimeoutError.)
_CONNECTION_ERRORS = (OSError, OperationalError, InterfaceError)


def is_connection_error(exc: BaseException) -> bool:
    """A lost or refused connection (the driver's error, or SQLAlchemy's wrapping of it)."""
    return isinstance(exc, _CONNECTION_ERRORS) or bool(getattr(exc, "connection_invalidated", 0))


def describe(exc: BaseException) -> str:
    """`ConnectionRefusedError: [Errno 111] Connect call failed` — the driver's words, one line."""
    inner = getattr(exc, "orig", None) or exc  # SQLAlchemy keeps the driver's error in .orig
    first = next((line.strip() for line in str(inner).splitlines() if line.strip()), "")
    name = type(inner).__name__
    return f"{name}: {first}"[:300] if first else name


def _seconds(delta: timedelta) -> str:
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@dataclass
class OutageLog:
    """The log of one repeating activity (the courier's pass, one tick step)."""

    what: str
    logger: logging.Logger
    remind_every: timedelta = timedelta(minutes=1)
    since: datetime | None = None
    said_at: datetime | None = None
    failures: int = 0
    cause: str = ""

    @property
    def failing(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException, now: datetime) -> None:
        """One more failure: logged if it starts an outage or a reminder is due."""
        self.failures += 1
        self.cause = describe(exc)
        if self.since is None:
            self.since = self.said_at = now
            self.logger.error(
                "%s failed: %s (retrying; logged again at most every %s until it recovers)",
                self.what,
                self.cause,
                _seconds(self.remind_every),
                exc_info=None if is_connection_error(exc) else exc,
            )
            return
        assert self.said_at is not None
        if now - self.said_at >= self.remind_every:
            self.said_at = now
            self.logger.error(
                "%s still failing for %s (%d attempts): %s",
                self.what,
                _seconds(now - self.since),
                self.failures,
                self.cause,
            )

    def succeeded(self, now: datetime) -> None:
        """A success: if an outage was going on, say it ended and how long it lasted."""
        if self.since is None:
            return
        self.logger.warning(
            "%s works again after %s (%d failed attempts; last cause: %s)",
            self.what,
            _seconds(now - self.since),
            self.failures,
            self.cause,
        )
        self.since = self.said_at = None
        self.failures = 0
        self.cause = ""
