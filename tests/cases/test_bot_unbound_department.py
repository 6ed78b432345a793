"""A responsible department without a group: its pings reach the coordinators and the leading
group (issue 3) with 代为报到 instead of a 报到 button they could not use (issue 14), until a
group is bound again."""

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
    assert pings[0].button_labels == ["代为报到"]
    assert len(forwarded(office.groups["leading_group"])) == 1
    # bound again: the next ping goes to the new group, not to the coordinators
    new_group = tg.create_group("千山社区新工作群", supergroup=True)
    await office.coord.send(new_group, "/bind community_qianshan")
    await sim.advance(timedelta(minutes=10), step=timedelta(minutes=5))
    assert len(forwarded(ADMIN)) == 1
    assert any("催办" in m.text for m in tg.bot_messages(new_group))
    await sim.stop()


async def test_a_coordinator_reports_for_duty_on_behalf_of_a_department_without_a_group(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    community = office.groups["community_qianshan"]
    await office.coord.send(community, "/unbind")
    await office.whistle()  # urgent: police station, housing, community
    await sim.tick()
    forwarded = [m for m in tg.bot_messages(ADMIN) if "【转送】千山社区" in m.text]
    card = next(m for m in forwarded if "消防隐患 QS-2026-0001" in m.text)
    assert card.button_labels == ["代为报到"]  # not a 报到 that would refuse the coordinator

    # a leader in the leading group cannot use it
    leading = office.groups["leading_group"]
    answer = await office.actors[4003].press(leading, "代为报到")
    assert answer is not None and answer.text == "代为报到仅限协调员操作。"

    clock.advance(minutes=7)
    answer = await office.coord.press(ADMIN, "代为报到", message_id=card.message_id)
    assert answer is not None and answer.text == "请在与本机器人的私聊中说明代为报到的原因。"
    assert office.last(ADMIN).text.startswith("代为报到：QS-2026-0001 千山社区。请说明原因")
    # the bot restarts before the reason arrives: the conversation is in the database
    await sim.stop()
    await sim.start()
    await office.coord.send(ADMIN, "已电话确认，孙某正赶赴现场。")
    assert office.last(ADMIN).text == (
        "已代千山社区报到 QS-2026-0001（11月30日 09:07），已记录原因并通知该部门。"
    )
    # the ladder stops, and the card and the timeline say 代为报到 with the reason
    await sim.advance(timedelta(minutes=30), step=timedelta(minutes=5))
    pings = [
        m for m in tg.bot_messages(ADMIN) if "【转送】千山社区" in m.text and "【催办】" in m.text
    ]
    assert pings == []  # (the 到场催办 goes on: on site is still due)
    assert "千山社区 ✅ 09:07 代为报到" in office.card("housing").text
    await office.coord.send(ADMIN, "/case QS-2026-0001")
    timeline = office.last(ADMIN).text
    assert "王 协调（私聊） · 千山社区 协调员代为报到：已电话确认，孙某正赶赴现场。" in timeline
    # a second 代为报到 (the command) hears it was done
    await office.coord.send(ADMIN, "/case_ack QS-2026-0001 千山社区 再次确认")
    assert office.last(ADMIN).text == "千山社区已由王 协调于11月30日 09:07代为报到，无需重复操作。"
    # …and a department's own 报到 with the command is refused nothing: 住建办 reports itself
    await office.coord.send(ADMIN, "/case_ack QS-2026-0001 住建办")
    assert office.last(ADMIN).text.startswith("用法：/case_ack 案件编号 部门 原因")
    await sim.stop()
