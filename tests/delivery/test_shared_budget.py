"""The token's shared buckets (send_buckets) follow the same rules as a process's own limiter:
a weight above a bucket's capacity is admitted once it is empty, and direct replies leave the
office headroom free. PostgreSQL only (SQLite is one process: its own limiter is enough)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.db import make_engine
from bot.ratelimit import FakePacing, Limits
from bot.sharedbudget import SharedBudget


@pytest.fixture
async def budget(pg_database: str | None) -> AsyncIterator[SharedBudget]:
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable (see the note at the start of the run)")
    from tests.support.databases import pg_truncate

    await pg_truncate(pg_database)
    engine = make_engine(pg_database)
    pacing = FakePacing()
    yield SharedBudget(engine, pacing, clock=pacing.monotonic)
    await engine.dispose()


async def test_an_album_above_a_private_chats_capacity_is_admitted_then_charged(
    budget: SharedBudget,
) -> None:
    assert (await budget.reserve(42, 3)).ok  # capacity 1, empty: admitted
    verdict = await budget.reserve(42, 1)
    burst, rate = Limits().private
    # Charged in full: the next message waits for the whole debt of 3 to drain below 1.
    assert verdict.wait == pytest.approx((3 + 1 - burst) / rate)


async def test_replies_keep_the_office_headroom_of_the_overall_bucket(
    budget: SharedBudget,
) -> None:
    burst, _ = Limits().overall
    share = Limits().reply_share
    replies = 0
    while (await budget.reserve(1000 + replies, 1, reply=True)).ok:
        replies += 1
    assert replies == int(burst * share)
    # The office (the courier, reply=False) still finds the rest of the bucket.
    office = 0
    while (await budget.reserve(5000 + office, 1)).ok:
        office += 1
    assert office == int(burst) - replies
