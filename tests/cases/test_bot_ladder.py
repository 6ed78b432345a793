"""The ladder through the real Application: exact ping times, escalation, quiet hours, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faketg.records import ViewMessage
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, SH, BotOffice, open_office


def times(messages: list[ViewMessage]) -> list[str]:
    return [m.sent_at.astimezone(SH).strftime("%m-%d %H:%M") for m in messages]


def pings(office: BotOffice, key: str) -> list[ViewMessage]:
    return [m for m in office.tg.bot_messages(office.groups[key]) if "【催办】" in m.text]


def escalations(office: BotOffice, chat_id: int) -> list[ViewMessage]:
    """The 报到 ladder's escalations (the 到场 chase's are in test_bot_arrival.py)."""
    return [
        m
        for m in office.tg.bot_messages(chat_id)
        if m.text.startswith("【升级】") and m.text.splitlines()[0].endswith("未报到")
    ]


async def test_urgent_ladder_one_department_acks_while_another_is_escalated(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    await office.whistle()  # 09:00: 千山派出所, 住建办, 千山社区
    await sim.tick()
    # ticks every 5 minutes (the service tests tick every minute); each grid point is on one
    five = timedelta(minutes=5)
    await sim.advance(timedelta(minutes=10), step=five)
    clock.advance(minutes=2)
    await office.actors[4001].press(office.groups["police_station_qianshan"], "报到")  # 09:12
    clock.advance(minutes=3)
    await sim.tick()
    await sim.run_until(datetime(2026, 11, 30, 9, 45, tzinfo=SH), step=five)
    await office.actors[4002].press(office.groups["housing"], "报到")  # 09:45
    await sim.tick()
    await sim.run_until(datetime(2026, 11, 30, 10, 0, tzinfo=SH), step=five)

    assert times(pings(office, "police_station_qianshan")) == ["11-30 09:10"]
    assert times(pings(office, "housing")) == [
        "11-30 09:10",
        "11-30 09:20",
        "11-30 09:30",
        "11-30 09:40",
    ]
    assert times(pings(office, "community_qianshan")) == [
        "11-30 09:10",
        "11-30 09:20",
        "11-30 09:30",
        "11-30 09:40",
        "11-30 09:50",
        "11-30 10:00",
    ]
    card = office.card("housing")
    first = pings(office, "housing")[0]
    assert first.reply_to == card.message_id
    assert first.text.startswith("⏰【催办】住建办：隐患 QS-2026-0001（消防通道堵塞）已派遣10分钟")
    assert first.button_labels == ["报到"]
    assert "已报告领导小组和三级办" in pings(office, "housing")[2].text

    leaders = escalations(office, office.groups["leading_group"])
    coordinators = escalations(office, ADMIN)
    assert [m.text for m in leaders] == [m.text for m in coordinators]
    named = [(m.text.splitlines()[0], t) for m, t in zip(leaders, times(leaders), strict=True)]
    assert named == [
        ("【升级】住建办 未报到", "11-30 09:30"),
        ("【升级】千山社区 未报到", "11-30 09:30"),
        ("【升级】住建办 未报到", "11-30 09:40"),
        ("【升级】千山社区 未报到", "11-30 09:40"),
        ("【升级】千山社区 未报到", "11-30 09:50"),
        ("【升级】千山社区 未报到", "11-30 10:00"),
    ]
    assert "案件：QS-2026-0001 消防通道堵塞（紧急）" in leaders[0].text
    assert "已派遣30分钟，第1次升级" in leaders[0].text
    assert "第4次升级" in leaders[-1].text
    # the card shows who reported for duty and when, and who is still pending
    assert (
        "千山派出所 ✅ 09:12 已报到（处置时限12月1日 09:12） · "
        "住建办 ✅ 09:45 已报到（处置时限12月1日 09:45） · 千山社区 ⏳ 待报到"
        in office.card("community_qianshan").text
    )
    office.tg.check()
    await sim.stop()


async def test_normal_ladder_is_quiet_at_night_and_over_the_weekend(
    sqlite_url: str, clock: FakeClock
):
    clock.set(datetime(2026, 12, 4, 18, 30, tzinfo=SH))  # Friday evening
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    await office.whistle("易燃杂物堆放", urgent=False, photos=0, location=None)
    await sim.tick()
    # hourly ticks over the quiet span (a ping there would show its hour), then every 10 minutes
    await sim.run_until(datetime(2026, 12, 7, 8, 0, tzinfo=SH), step=timedelta(hours=1))
    await sim.run_until(datetime(2026, 12, 7, 10, 31, tzinfo=SH), step=timedelta(minutes=10))
    # two business hours: 18:30–20:00 on Friday, then 08:00–08:30 on Monday
    assert times(pings(office, "housing")) == ["12-07 08:30", "12-07 10:30"]
    assert escalations(office, ADMIN) == []
    await sim.stop()


async def test_restart_in_the_middle_of_a_ladder_sends_one_ping_then_keeps_schedule(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    await office.whistle("私拉乱接电线", photos=0)  # 住建办, 千山社区
    await sim.tick()
    five = timedelta(minutes=5)
    await sim.advance(timedelta(minutes=15), step=five)
    assert times(pings(office, "housing")) == ["11-30 09:10"]
    await sim.stop()
    clock.set(datetime(2026, 11, 30, 2, 5, tzinfo=UTC))  # down until 10:05 Shanghai
    await sim.start()
    await sim.tick()
    await sim.tick()
    assert times(pings(office, "housing")) == ["11-30 09:10", "11-30 10:05"]
    assert len(escalations(office, ADMIN)) == 2  # one per silent department, not six each
    await sim.advance(timedelta(minutes=16), step=five)
    assert times(pings(office, "housing")) == [
        "11-30 09:10",
        "11-30 10:05",
        "11-30 10:10",
        "11-30 10:20",
    ]
    # after the restart the old card's buttons still work
    await office.actors[4002].press(office.groups["housing"], "报到")
    await sim.advance(timedelta(minutes=20), step=five)
    assert len(pings(office, "housing")) == 4
    await sim.stop()
