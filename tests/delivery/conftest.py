"""Fixtures for the delivery tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.clock import FakeClock
from tests.delivery.support import World


@pytest.fixture
async def world(sqlite_url: str, clock: FakeClock) -> AsyncIterator[World]:
    """The Application on SQLite with the fake Telegram enforcing Telegram's limits."""
    w = World(sqlite_url, clock)
    await w.start()
    yield w
    await w.stop()
    w.tg.check()


@pytest.fixture
async def any_world(db_url: str, clock: FakeClock) -> AsyncIterator[World]:
    """The same, on SQLite and on PostgreSQL."""
    w = World(db_url, clock)
    await w.start()
    yield w
    await w.stop()
    w.tg.check()
