"""QA through the fake Telegram: onboarding texts follow the house style."""

from __future__ import annotations

from services.clock import FakeClock
from sim.simulation import Simulation

ADMIN = 1001


async def test_invite_expiry_uses_the_house_date_style(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    try:
        coord = sim.tg.user(ADMIN, "王", "协调")
        await coord.send(ADMIN, "/invite 成员 housing")
        text = sim.tg.last_message(ADMIN).text
        # issued Monday 30 November 09:00, valid seven days
        assert "2026年12月7日（周一） 09:00前有效" in text, text
        assert "12月07日" not in text
    finally:
        await sim.stop()
