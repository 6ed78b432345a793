"""Concurrent submissions and presses on PostgreSQL: unique numbers, one 报到."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from models.cases import Case, CaseEvent, EventKind
from services.cases import lifecycle as lc
from services.cases.numbering import next_case_number
from services.clock import FakeClock
from tests.cases.office import OTHER_HOUSING, build_office


@pytest.fixture
def pg_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL only (SQLite serialises a single process)")


async def test_concurrent_numbering_gives_each_submission_its_own_number(
    pg_only: None, engine: AsyncEngine, clock: FakeClock
):
    office = await build_office(engine, clock)

    async def one() -> tuple[int, str]:
        async with office.tx() as s:
            result = await next_case_number(s, prefix="QS", year=2026)
            await asyncio.sleep(0)  # let the others queue on the row lock
            return result

    taken = await asyncio.gather(*(one() for _ in range(20)))
    assert sorted(seq for seq, _ in taken) == list(range(1, 21))
    assert len({number for _, number in taken}) == 20

    async def whistle() -> str:
        async with office.tx() as s:
            view = await lc.submit_whistle(
                s,
                office.env,
                actor=office.grid,
                draft=office.draft(),
                chat_id=office.grid.telegram_user_id,
                now=office.now(),
            )
            return view.number

    numbers = await asyncio.gather(*(whistle() for _ in range(8)))
    assert sorted(numbers) == [f"QS-2026-{n:04d}" for n in range(21, 29)]
    async with office.tx() as s:
        assert await s.scalar(select(func.count()).select_from(Case)) == 8


async def test_two_members_pressing_at_once_record_one_ack(
    pg_only: None, engine: AsyncEngine, clock: FakeClock
):
    office = await build_office(engine, clock)
    async with office.tx() as s:
        view = await lc.submit_whistle(
            s,
            office.env,
            actor=office.grid,
            draft=office.draft(category="wiring"),
            chat_id=office.grid.telegram_user_id,
            now=office.now(),
        )
    housing = office.dept_ids["housing"]

    async def press(user: int):
        async with office.tx() as s:
            return await lc.acknowledge(
                s,
                office.env,
                actor=office.people[user],
                case_id=view.id,
                department_id=housing,
                chat_id=office.group("housing"),
                now=office.now(),
            )

    results = await asyncio.gather(
        press(office.member("housing").telegram_user_id), press(OTHER_HOUSING)
    )
    assert sorted(r.recorded for r in results) == [False, True]
    assert results[0].acked_by == results[1].acked_by
    async with office.tx() as s:
        acks = await s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == EventKind.ACKED)
        )
    assert acks == 1
