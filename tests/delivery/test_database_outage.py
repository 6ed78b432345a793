"""A database outage is logged when it starts, once a minute, and when it ends — not every second."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import infra_of
from bot.db import make_engine, make_sessions
from scheduler import jobs
from services.runtime import Runtime
from tests.delivery.support import World


def unreachable(db_url: str, tmp_path: Path) -> str:
    """The same kind of database, gone: a port nobody listens on, a file that cannot be opened."""
    if make_url(db_url).get_backend_name() == "postgresql":
        return "postgresql+asyncpg://postgres@127.0.0.1:1/firegrid_gone"
    return f"sqlite+aiosqlite:///{tmp_path}/no-such-folder/firegrid.db"


async def test_the_courier_logs_a_database_outage_three_times_not_every_second(
    any_world: World, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    w = any_world
    person = w.tg.user(2001, "甲", started=True)
    courier = w.courier()
    working = w.rt.sessions
    gone = make_engine(unreachable(db_url, tmp_path))
    await w.send(person.id, "停电前写入")
    w.rt.sessions = make_sessions(gone)
    try:
        with caplog.at_level(logging.INFO):
            for _ in range(150):  # the background loop's pace: a pass a second, 2.5 minutes
                await courier.background_pass()
                w.clock.advance(seconds=1)
            w.rt.sessions = working
            await courier.background_pass()
    finally:
        w.rt.sessions = working
        await gone.dispose()

    logged = list(caplog.records)  # every logger: SQLAlchemy, the driver, PTB, ours
    messages = [r.getMessage() for r in logged]
    assert len(messages) == 4, messages  # start, after 1 and 2 minutes, end
    assert messages[0].startswith("outbox delivery pass failed: ")
    assert ("OperationalError" in messages[0]) or ("ConnectionRefusedError" in messages[0])
    assert messages[1].startswith("outbox delivery pass still failing for 60 s")
    assert messages[3].startswith(
        "outbox delivery pass works again after 2 min 30 s (150 failed attempts"
    )
    assert [r for r in logged if r.exc_info] == []  # no traceback for a lost connection
    assert w.texts(person.id) == ["停电前写入"]  # and nothing was lost


async def test_the_tick_logs_a_database_outage_once_for_all_its_steps(
    any_world: World, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    w = any_world
    logs = infra_of(w.app).tick_logs
    working = w.rt.sessions
    gone = make_engine(unreachable(db_url, tmp_path))
    w.rt.sessions = make_sessions(gone)
    try:
        with caplog.at_level(logging.INFO):
            for _ in range(6):  # three minutes at the default 30 s tick
                await jobs.run_steps(w.rt, w.clock.now(), logs=logs)
                w.clock.advance(timedelta(seconds=30))
            w.rt.sessions = working
            await jobs.run_steps(w.rt, w.clock.now(), logs=logs)
    finally:
        w.rt.sessions = working
        await gone.dispose()

    logged = [r for r in caplog.records if r.name == "firegrid.scheduler"]
    messages = [r.getMessage() for r in logged]
    assert len(messages) == 4, messages  # start, reminders at 60 s and 120 s, end
    assert messages[0].startswith("scheduler tick (database) failed: ")
    assert all("still failing" in m for m in messages[1:-1])
    assert messages[-1].startswith("scheduler tick (database) works again after 3 min 0 s")
    assert [r for r in caplog.records if r.exc_info] == []  # from any logger


async def test_a_broken_step_is_logged_once_with_its_traceback_and_the_others_run(
    world: World, caplog: pytest.LogCaptureFixture
):
    w = world
    ran: list[str] = []

    async def broken(rt: Runtime, now: datetime) -> None:
        raise KeyError("ladder")

    async def fine(rt: Runtime, now: datetime) -> None:
        ran.append("fine")

    logs = jobs.TickLogs()
    with caplog.at_level(logging.INFO, logger="firegrid.scheduler"):
        for _ in range(10):
            await jobs.run_steps(w.rt, w.clock.now(), [broken, fine], logs=logs)
            w.clock.advance(seconds=30)
    logged = [r for r in caplog.records if r.name == "firegrid.scheduler"]
    assert ran == ["fine"] * 10
    assert len(logged) == 5  # the first failure, then a reminder a minute (60, 120, 180, 240 s)
    assert logged[0].exc_info is not None and "broken failed: KeyError" in logged[0].getMessage()
    assert all(r.exc_info is None for r in logged[1:])
