"""QA through the fake Telegram: /case states its age and closure plainly."""

from __future__ import annotations

from datetime import timedelta

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, open_office


async def test_case_status_line_reads_naturally(sqlite_url: str, clock: FakeClock):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, coord = office.tg, office.coord
        await office.whistle()
        await coord.send(ADMIN, "/case QS-2026-0001")
        status = next(x for x in tg.last_message(ADMIN).text.splitlines() if x.startswith("状态"))
        assert status == "状态：待报到（不足1分钟）", status

        await coord.send(ADMIN, "/case_close QS-2026-0001 误报")
        await office.sim.advance(timedelta(days=2))
        await coord.send(ADMIN, "/case QS-2026-0001")
        status = next(x for x in tg.last_message(ADMIN).text.splitlines() if x.startswith("状态"))
        # when it was closed, not how long ago it was reported
        assert status == "状态：已结案（11月30日 09:00）", status
    finally:
        await office.sim.stop()
