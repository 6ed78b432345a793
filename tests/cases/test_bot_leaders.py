"""Leaders (领导小组成员) receive escalations: in the leading group's group when it is bound,
privately when it is not — never both."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.clock import FakeClock
from sim.office import invite
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, SH, BotOffice, open_office

LEADERS = {5001: "刘副主任", 5002: "陈主任"}
FIVE = timedelta(minutes=5)


def escalations(office: BotOffice, chat_id: int) -> list[str]:
    """The 报到 ladder's escalations (not the 到场 chase's)."""
    return [
        m.text
        for m in office.tg.bot_messages(chat_id)
        if m.text.startswith("【升级】") and m.text.splitlines()[0].endswith("未报到")
    ]


def forwarded_pings(office: BotOffice, chat_id: int) -> list[str]:
    return [
        m.text
        for m in office.tg.bot_messages(chat_id)
        if m.text.startswith("【转送】千山社区") and "催办" in m.text
    ]


async def test_leaders_get_escalations_privately_while_the_leading_group_has_no_group(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    for uid, name in LEADERS.items():
        await invite(sim, office.coord, uid, name, "", "领导")
    await office.coord.send(office.groups["leading_group"], "/unbind")
    await office.coord.send(office.groups["community_qianshan"], "/unbind")

    await office.whistle()  # 09:00: 千山派出所, 住建办, 千山社区
    await sim.tick()
    await office.actors[4001].press(office.groups["police_station_qianshan"], "报到")
    await sim.run_until(datetime(2026, 11, 30, 9, 30, tzinfo=SH), step=FIVE)

    to_coordinators = escalations(office, ADMIN)
    assert [t.splitlines()[0] for t in to_coordinators] == [
        "【升级】住建办 未报到",
        "【升级】千山社区 未报到",
    ]
    for uid in LEADERS:
        assert escalations(office, uid) == to_coordinators
        # What a department without a group is sent goes to the leaders too (its 催办).
        assert forwarded_pings(office, uid) == forwarded_pings(office, ADMIN) != []
    assert escalations(office, office.groups["leading_group"]) == []  # unbound: not written to

    # Bound again: the leading group's new group gets the next escalations, the leaders no copy.
    new_group = tg.create_group("领导小组新工作群", supergroup=True)
    await office.coord.send(new_group, "/bind leading_group")
    await sim.run_until(datetime(2026, 11, 30, 9, 40, tzinfo=SH), step=FIVE)
    assert len(escalations(office, ADMIN)) == 4
    assert escalations(office, new_group) == escalations(office, ADMIN)[2:]
    for uid in LEADERS:
        assert escalations(office, uid) == to_coordinators
    tg.check()
    await sim.stop()


async def test_with_the_leading_group_bound_leaders_get_no_private_copies(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    for uid, name in LEADERS.items():
        await invite(sim, office.coord, uid, name, "", "领导")
    await office.whistle()
    await sim.tick()
    await sim.run_until(datetime(2026, 11, 30, 9, 30, tzinfo=SH), step=FIVE)

    in_group = escalations(office, office.groups["leading_group"])
    assert len(in_group) == 3 and in_group == escalations(office, ADMIN)
    for uid in LEADERS:
        assert office.tg.bot_messages(uid)[-1].text.startswith("登记成功")  # nothing since
    await sim.stop()
