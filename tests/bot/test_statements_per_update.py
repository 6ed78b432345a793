"""What one update costs the database (issue 13: a handful of statements per update).

"Who is asking" runs on every command and press: it is one indexed read (the person, the
department and the areas joined), plus an UPDATE only when the person's Telegram name changed.
Counted on the engine the production factory built, on the real commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from services.clock import FakeClock
from sim.office import ADMIN, set_up
from sim.simulation import Simulation

GROUPS = {"housing": "住建办工作群"}
PEOPLE = {4002: ("赵某", "成员", "housing"), 3001: ("李某", "网格员", "梨花苑小区")}


@contextmanager
def statements(sim: Simulation) -> Iterator[list[str]]:
    engine = sim.rt.sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def execute(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", execute)


async def test_help_costs_one_read_of_who_is_asking_and_the_update_record(
    sqlite_url: str, clock: FakeClock
) -> None:
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    _, actors = await set_up(sim, coord, GROUPS, PEOPLE)
    member = actors[4002]
    await member.send(member.id, "/help")  # the door learns the person is registered

    with statements(sim) as seen:
        await member.send(member.id, "/help")
    assert "/whoami" in sim.tg.bot_messages(member.id)[-1].text
    people_reads = [s for s in seen if s.startswith("SELECT") and " people" in s]
    assert len(people_reads) == 1, seen
    assert len(seen) <= 2, seen  # who is asking + the handled update's record

    # a new Telegram name is stored, and the answer already uses it
    member.record.first_name, member.record.last_name = "赵", "新名"
    with statements(sim) as seen:
        await member.send(member.id, "/whoami")
    assert [s for s in seen if s.startswith("UPDATE people")], seen
    assert "赵 新名" in sim.tg.bot_messages(member.id)[-1].text
    await sim.stop()


async def test_who_is_asking_carries_department_and_every_area(
    sqlite_url: str, clock: FakeClock
) -> None:
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    _, actors = await set_up(sim, coord, GROUPS, PEOPLE)
    await actors[4002].send(4002, "/whoami")
    await actors[3001].send(3001, "/whoami")
    member_says = sim.tg.bot_messages(4002)[-1].text
    grid_says = sim.tg.bot_messages(3001)[-1].text
    assert "住建办" in member_says, member_says
    assert "梨花苑小区" in grid_says, grid_says
    await sim.stop()
