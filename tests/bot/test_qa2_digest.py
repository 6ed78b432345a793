"""/digest as a coordinator meets it on a phone (second QA round)."""

from __future__ import annotations

from services.clock import FakeClock
from sim.simulation import Simulation

ADMIN = 1001


async def test_a_month_before_the_bot_states_no_figures_and_points_to_this_month(
    sqlite_url: str, clock: FakeClock
):
    """Before the first record there are no facts: no 本月无吹哨隐患 or 建议约谈：无 as if checked."""
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/digest 2026-10")
    summary = next(m.text for m in sim.tg.chat_view(ADMIN) if m.from_bot and m.document is None)
    await sim.stop()

    assert summary.splitlines()[:2] == [
        "2026年10月消防网格化工作通报",
        "本月早于系统启用，无业务记录。",
    ]
    for claim in ("隐患：", "月报：", "建议约谈："):
        assert claim not in summary
    assert "/digest 本月" in summary
