"""services/sql.py on both databases: the dialect, insert-or-ignore, insert-or-update."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from models.cases import CaseNumberSeq
from models.reminders import ReminderNotice
from models.updates import ProcessedUpdate
from services.clock import FakeClock
from services.sql import conflict_insert, dialect_name, insert_ignore


async def test_the_dialect_is_the_engines(engine: AsyncEngine):
    async with make_sessions(engine)() as s:
        assert dialect_name(s) == engine.dialect.name
        assert dialect_name(s) in ("sqlite", "postgresql")


async def test_insert_ignore_inserts_once_and_keeps_the_first_row(
    engine: AsyncEngine, clock: FakeClock
):
    sessions = make_sessions(engine)
    first, later = clock.now(), clock.now() + timedelta(hours=1)
    async with sessions() as s, s.begin():
        new_id = await insert_ignore(s, ReminderNotice, {"key": "k1", "created_at": first}, ["key"])
        again = await insert_ignore(s, ReminderNotice, {"key": "k1", "created_at": later}, ["key"])
        other = await insert_ignore(s, ReminderNotice, {"key": "k2", "created_at": later}, ["key"])
    assert isinstance(new_id, int) and again is None
    assert isinstance(other, int) and other != new_id
    async with sessions() as s:
        row = await s.get(ReminderNotice, new_id)
        assert row is not None and row.key == "k1" and row.created_at == first
        assert await s.scalar(select(func.count()).select_from(ReminderNotice)) == 2


async def test_insert_ignore_returns_the_named_column(engine: AsyncEngine, clock: FakeClock):
    sessions = make_sessions(engine)
    values = {"update_id": 2**40, "processed_at": clock.now()}
    async with sessions() as s, s.begin():
        column = ProcessedUpdate.update_id
        new = await insert_ignore(s, ProcessedUpdate, values, ["update_id"], returning=column)
        assert new == 2**40
        assert (
            await insert_ignore(s, ProcessedUpdate, values, ["update_id"], returning=column) is None
        )
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


async def test_conflict_insert_updates_on_conflict(engine: AsyncEngine):
    sessions = make_sessions(engine)
    taken = []
    async with sessions() as s, s.begin():
        for _ in range(3):
            stmt = (
                conflict_insert(s, CaseNumberSeq)
                .values(year=2031, last=1)
                .on_conflict_do_update(
                    index_elements=["year"], set_={"last": CaseNumberSeq.last + 1}
                )
                .returning(CaseNumberSeq.last)
            )
            taken.append((await s.execute(stmt)).scalar_one())
    assert taken == [1, 2, 3]
