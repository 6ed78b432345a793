"""Shared fixtures: real databases (SQLite file and PostgreSQL), a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_engine
from services.clock import FakeClock
from tests.support import databases

# No timed assertions in tests (speed is measured in bench/): Hypothesis' default 200 ms
# deadline per example fails a correct property on a busy machine (it did, on a 2-core machine
# running two suites at once). Tests that set their own settings inherit this.
settings.register_profile("firegrid", deadline=None)
settings.load_profile("firegrid")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    url, reason = databases.pg_create()
    if url is None:
        print(f"\n[firegrid tests] PostgreSQL tests will be skipped: {reason}")
    yield url
    if url is not None:
        databases.pg_drop(url)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for this test."""
    return databases.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """The same test on both databases (PostgreSQL skipped with a reason when unreachable)."""
    if request.param == "sqlite":
        return databases.sqlite_copy(sqlite_template, tmp_path)
    url = request.getfixturevalue("pg_database")
    if url is None:
        pytest.skip("PostgreSQL not reachable (see the note at the start of the run)")
    await databases.pg_truncate(url)
    return str(url)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """Monday 2026-11-30 09:00 Shanghai (a workday)."""
    return FakeClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
