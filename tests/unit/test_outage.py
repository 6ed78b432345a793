"""OutageLog in virtual time: once at the start, at most once a minute, once at the end."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from services.outage import OutageLog, describe, is_connection_error

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
LOGGER = "firegrid.test.outage"


def refused() -> OSError:
    return ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


def test_a_30_second_outage_retried_every_second_makes_two_lines(caplog):
    outage = OutageLog("outbox delivery pass", logging.getLogger(LOGGER))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for second in range(30):
            outage.failed(refused(), T0 + timedelta(seconds=second))
        outage.succeeded(T0 + timedelta(seconds=30))
        outage.succeeded(T0 + timedelta(seconds=31))  # nothing to say any more

    start, end = lines(caplog)
    assert start.levelno == logging.ERROR and start.exc_info is None
    assert start.getMessage().startswith(
        "outbox delivery pass failed: ConnectionRefusedError: [Errno 111] Connect call failed"
    )
    assert end.getMessage() == (
        "outbox delivery pass works again after 30 s (30 failed attempts; last cause: "
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432))"
    )
    assert not outage.failing


def test_reminders_come_at_most_once_a_minute(caplog):
    outage = OutageLog("tick", logging.getLogger(LOGGER))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for second in range(0, 181, 2):  # 3 minutes, an attempt every 2 s
            outage.failed(refused(), T0 + timedelta(seconds=second))
        outage.succeeded(T0 + timedelta(minutes=10))
    messages = [r.getMessage() for r in lines(caplog)]
    assert len(messages) == 5  # start, at 60 s, 120 s, 180 s, end
    assert messages[1].startswith("tick still failing for 60 s (31 attempts)")
    assert messages[3].startswith("tick still failing for 3 min 0 s (91 attempts)")
    assert messages[4].startswith("tick works again after 10 min 0 s (91 failed attempts")


def test_a_new_outage_after_recovery_is_logged_again(caplog):
    outage = OutageLog("tick", logging.getLogger(LOGGER))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        outage.failed(refused(), T0)
        outage.succeeded(T0 + timedelta(seconds=5))
        outage.failed(refused(), T0 + timedelta(seconds=6))
    assert [r.getMessage().split(" ")[1] for r in lines(caplog)] == ["failed:", "works", "failed:"]


def test_a_bug_keeps_its_traceback_once(caplog):
    outage = OutageLog("tick step cases_step", logging.getLogger(LOGGER))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for second in range(10):
            outage.failed(KeyError("ladder"), T0 + timedelta(seconds=second))
    (only,) = lines(caplog)
    assert only.exc_info is not None and "KeyError: 'ladder'" in only.getMessage()


def test_what_counts_as_a_lost_connection_and_how_it_reads():
    wrapped = OperationalError("SELECT 1", {}, OSError("could not connect\nsecond line"))
    assert is_connection_error(wrapped) and is_connection_error(refused())
    assert is_connection_error(TimeoutError())
    assert not is_connection_error(IntegrityError("INSERT", {}, ValueError("duplicate key")))
    assert not is_connection_error(KeyError("x"))
    assert describe(wrapped) == "OSError: could not connect"
    assert describe(TimeoutError()) == "TimeoutError"
