"""An album to a private chat froze the bot (issue 11, defect 13), here paced in virtual time.

With pacing on (as in production), a coordinator's /reports for a report with 2 photos and a
whistle with 2 photos forwarded to a coordinator (the department has no group) must finish;
on the old limiter each waited "1.1 s" forever. The FakePacing budget turns a stall into a
failure instead of a hang.
"""

from __future__ import annotations

from bot.ratelimit import FakePacing
from services.clock import FakeClock
from sim.office import ADMIN, last_text
from sim.simulation import FAST_HANDS, Simulation
from tests.bot.reports.helpers import clock_at, member
from tests.bot.reports.test_board_and_chasing import submit_community
from tests.cases.botoffice import open_office


async def test_reports_with_two_photos_are_shown_to_a_paced_coordinator(sqlite_url: str):
    clock = clock_at(2026, 11, 16)
    pacing = FakePacing(wall=clock, budget=600)
    sim = Simulation(
        database_url=sqlite_url, clock=clock, admins=(ADMIN,), pacing=pacing, flood=FAST_HANDS
    )
    coord = sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    zhang = await member(sim, 2001, "张社区", "community_qianshan")
    await submit_community(sim, zhang)
    before = len(sim.tg.chat_view(ADMIN))
    await coord.send(ADMIN, "/reports 千山社区 2026-11")
    shown = sim.tg.chat_view(ADMIN)[before + 1 :]
    assert [m.photo is not None for m in shown[1:3]] == [True, True]
    assert last_text(sim, ADMIN).endswith("⬜ 未填报")  # the viewer went on after the album
    await coord.send(ADMIN, "/help")  # and the bot still answers
    assert "/reports" in last_text(sim, ADMIN)
    await sim.stop()


async def test_a_whistle_with_two_photos_reaches_a_coordinator_and_the_outbox_goes_on(
    sqlite_url: str, clock: FakeClock
):
    pacing = FakePacing(wall=clock, budget=600)
    sim = Simulation(database_url=sqlite_url, clock=clock, pacing=pacing)
    office = await open_office(sim)
    tg = sim.tg
    community = office.groups["community_qianshan"]
    await office.coord.send(community, "/unbind")
    await office.whistle(photos=2)
    await sim.tick()
    forwarded = [m for m in tg.bot_messages(ADMIN) if m.text.startswith("【转送】千山社区")]
    assert forwarded, tg.transcript(ADMIN)
    assert sum(1 for m in tg.bot_messages(ADMIN) if m.photo is not None) >= 2
    # the rest of the outbox was not held up behind the album
    for key in ("police_station_qianshan", "housing"):
        assert any("消防隐患 QS-" in m.text for m in tg.bot_messages(office.groups[key]))
    await sim.stop()
