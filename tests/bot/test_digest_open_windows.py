"""/digest right after a dispatch: open 报到 windows are not failures, nor is the case 久未结案.

Issue 11, #14: 5 s after a dispatch, /digest said 按时报到率0.0% and proposed every department
for 约谈, although none of them had yet had the time the ladder gives before its first escalation.
"""

from __future__ import annotations

from datetime import timedelta

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, open_office


async def test_digest_five_seconds_after_a_dispatch_judges_nobody(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    office = await open_office(sim)
    await office.whistle()
    await sim.tick()
    assert "⏳ 待报到" in office.card("housing").text
    clock.advance(timedelta(seconds=5))
    await office.coord.send(ADMIN, "/digest")
    await sim.tick()
    summary = next(
        m.text
        for m in reversed(sim.tg.chat_view(ADMIN))
        if m.from_bot and m.document is None and "消防网格化工作通报" in m.text
    )
    files = [m.document for m in sim.tg.chat_view(ADMIN) if m.from_bot and m.document]
    await sim.stop()

    lines = summary.splitlines()
    assert (
        "报到：用时中位数—，按时报到率暂无可评（3次派遣均在报到时限内），被升级案件0件。" in lines
    )
    assert "建议约谈：无。" in lines
    assert "0.0%" not in summary and "久未结案" not in summary
    assert files  # the Word and Excel files still follow the summary
