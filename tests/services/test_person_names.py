"""Looking names up by person id (both databases): in one query, unknown ids left out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from models.enums import Role
from models.people import Person
from services.clock import FakeClock
from services.people import UNKNOWN_NAME, person_name, person_names


async def test_names_by_id_and_the_unknown_placeholder(engine: AsyncEngine, clock: FakeClock):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        people = [
            Person(
                telegram_user_id=9001 + i,
                display_name=name,
                role=Role.GRID_WORKER,
                joined_at=clock.now(),
            )
            for i, name in enumerate(["张三", "李四"])
        ]
        s.add_all(people)
        await s.flush()
        zhang, li = (p.id for p in people)
    async with sessions() as s:
        assert await person_names(s, [zhang, li, None, 99999, zhang]) == {zhang: "张三", li: "李四"}
        assert await person_names(s, [None]) == {}
        assert await person_name(s, li) == "李四"
        assert await person_name(s, 99999) == UNKNOWN_NAME == "（未知）"
        assert await person_name(s, None) == UNKNOWN_NAME
