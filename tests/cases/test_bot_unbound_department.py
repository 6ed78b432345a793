"""A responsible department without a group: its pings reach the coordinators and the leading
group (issue 3), without a 报到 button they could not use, until a group is bound again."""

from __future__ import annotations

from datetime import timedelta

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, open_office


async def test_pings_of_a_department_without_a_group_go_to_coordinators(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    community = office.groups["community_qianshan"]
    await office.coord.send(community, "/unbind")
    assert "已解除本群与千山社区的绑定" in tg.last_message(community).text
    await office.whistle()  # urgent: police station, housing, community
    await sim.tick()
    for uid, key in [(4001, "police_station_qianshan"), (4002, "housing")]:
        await office.actors[uid].press(office.groups[key], "报到")
    await sim.advance(timedelta(minutes=10), step=timedelta(minutes=5))

    def forwarded(chat_id: int) -> list:
        return [
            m
            for m in tg.bot_messages(chat_id)
            if m.text.startswith("【转送】千山社区") and "催办" in m.text
        ]

    pings = forwarded(ADMIN)
    assert len(pings) == 1 and "QS-2026-0001" in pings[0].text
    assert pings[0].button_labels == []
    assert len(forwarded(office.groups["leading_group"])) == 1
    # bound again: the next ping goes to the new group, not to the coordinators
    new_group = tg.create_group("千山社区新工作群", supergroup=True)
    await office.coord.send(new_group, "/bind community_qianshan")
    await sim.advance(timedelta(minutes=10), step=timedelta(minutes=5))
    assert len(forwarded(ADMIN)) == 1
    assert any("催办" in m.text for m in tg.bot_messages(new_group))
    await sim.stop()
