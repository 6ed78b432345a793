"""Several delivery workers on one PostgreSQL database never send the same row."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.delivery import Outcome
from services.clock import FakeClock
from services.delivery import claim, due_heads
from tests.delivery.support import World


@pytest.fixture
async def pg_world(pg_database: str | None, clock: FakeClock):
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable (see the note at the start of the run)")
    from tests.support.databases import pg_truncate

    await pg_truncate(pg_database)
    w = World(pg_database, clock, limits=False)
    await w.start()
    await w.start()  # a second process on the same database
    yield w
    await w.stop()
    w.tg.check()


async def test_skip_locked_hands_a_held_row_to_nobody_else(pg_world: World):
    w = pg_world
    for n in range(3):
        await w.send(2000 + n, f"消息{n}")
    async with w.rt.transaction() as s:
        heads = await due_heads(s, w.clock.now())
    assert len(heads) == 3
    now = w.clock.now()
    async with w.rt.sessions() as first, first.begin():
        held = await claim(first, heads[0].id, worker="A", now=now)
        assert held is not None
        async with w.rt.sessions() as second, second.begin():
            # Not blocked by the lock A holds (asyncio.wait_for only guards against a hang).
            skipped = await asyncio.wait_for(claim(second, heads[0].id, worker="B", now=now), 10)
            taken = await claim(second, heads[1].id, worker="B", now=now)
        assert skipped is None and taken is not None and taken.claimed_by == "B"


async def test_two_workers_share_the_queue_and_send_each_row_once_in_order(pg_world: World):
    w = pg_world
    chats = [w.tg.user(2000 + n, f"成员{n}", started=True).record.id for n in range(40)]
    for n in range(5):
        for chat in chats:
            await w.send(chat, f"第{n}条")
    a, b = (w.courier(app) for app in w.apps)
    assert a.worker != b.worker

    for _ in range(20):
        await asyncio.gather(a.deliver_due(), b.deliver_due())
        if not await w.due_rows():
            break
        await w.pacing.sleep(1.0)

    assert all(w.texts(chat) == [f"第{n}条" for n in range(5)] for chat in chats)
    assert len(w.tg.calls_to("sendMessage")) == 200
    sent = Counter({"a": a.stats[Outcome.SENT], "b": b.stats[Outcome.SENT]})
    assert sent["a"] + sent["b"] == 200 and sent["a"] > 0 and sent["b"] > 0
