"""Two `web` processes behind a round-robin sender handle each update once (issue 16).

What a webhook behind a load balancer does: each update goes to one of two processes, in
turn, and Telegram may send an update again (its answer was lost) — then usually to the other
one. Here the two processes are two Applications built as `firegrid web` would build them,
each with its own engine on one PostgreSQL database, and a third as `firegrid worker` delivers
the outbox; in-process, because the question is what they share through the database, and the
fake clock lets the office's ladder run without waiting. A simulated office binds its groups,
registers its people, whistles a hazard and reports for duty; then every update is delivered
again to the process that did not take it, and nothing changes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Bot, Update
from telegram.ext import Application

from bot.roles import Role
from models.cases import Case
from models.updates import ProcessedUpdate
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import open_office


class RoundRobin:
    """The sender: each update to the next web process; remembers who took which."""

    def __init__(self, apps: list[Application]) -> None:
        self.apps = apps
        self.turn = 0
        self.taken: dict[int, int] = {}  # update_id -> index of the app that took it
        self.updates: list[dict[str, Any]] = []

    @property
    def bot(self) -> Bot:
        return self.apps[0].bot

    async def process_update(self, update: object) -> None:
        assert isinstance(update, Update)
        index = self.turn % len(self.apps)
        self.turn += 1
        self.taken[update.update_id] = index
        self.updates.append(update.to_dict())
        await self.to(index, self.updates[-1])

    async def to(self, index: int, data: dict[str, Any]) -> None:
        app = self.apps[index]
        await app.process_update(Update.de_json(data, app.bot))


class TwoWebs(Simulation):
    """Two web processes take the updates; the simulation's own app is the worker."""

    router: RoundRobin

    async def start(self) -> Application:
        webs = [await self.build(Role.WEB), await self.build(Role.WEB)]
        self.router = RoundRobin(webs)
        self.tg.attach(self.router)
        self._app = await self.build(Role.WORKER)  # tick() runs here: steps and the outbox
        return self._app

    async def stop(self) -> None:
        for app in self.router.apps:
            await app.shutdown()
            await app.post_shutdown(app)  # type: ignore[misc]
        await super().stop()


@pytest.fixture
async def pg_url(pg_database: str | None) -> str:
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable (see the note at the start of the run)")
    from tests.support.databases import pg_truncate

    await pg_truncate(pg_database)
    return pg_database


async def test_two_web_processes_handle_each_update_of_an_office_once(
    pg_url: str, clock: FakeClock
):
    sim = TwoWebs(database_url=pg_url, clock=clock)
    office = await open_office(sim)
    await office.whistle(photos=1)
    await sim.tick()  # the worker delivers the dispatch cards
    await office.actors[4001].press(office.groups["police_station_qianshan"], "报到")
    await sim.tick()
    router = sim.router
    assert Counter(router.taken.values()) == {
        0: len(router.updates) // 2 + len(router.updates) % 2,
        1: len(router.updates) // 2,
    }
    transcript = office.tg.transcript()
    async with sim.rt.transaction() as s:
        cases = await s.scalar(select(func.count()).select_from(Case))
        recorded = await s.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert cases == 1
    assert recorded == len(router.updates) > 20

    # Telegram sends every update again, each to the process that did not take it.
    for data in router.updates:
        await router.to(1 - router.taken[data["update_id"]], data)
    await sim.tick()

    assert office.tg.transcript() == transcript  # not one message more, none edited
    async with sim.rt.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Case)) == 1
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == recorded
    await sim.stop()
