"""处置时限 through the real Application: 处置催办 with the time left, escalation, restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from faketg.records import ViewMessage
from models.cases import CaseDepartment, CaseEvent, EventKind
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, SH, BotOffice, open_office


def sh(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def chasers(office: BotOffice, key: str) -> list[ViewMessage]:
    return [m for m in office.tg.bot_messages(office.groups[key]) if "【处置催办】" in m.text]


def overdue(office: BotOffice, chat_id: int) -> list[ViewMessage]:
    return [m for m in office.tg.bot_messages(chat_id) if "处置超期" in m.text.splitlines()[0]]


def when(messages: list[ViewMessage]) -> list[str]:
    return [m.sent_at.astimezone(SH).strftime("%m-%d %H:%M") for m in messages]


async def _reported(sim: Simulation, clock: FakeClock, *, urgent: bool) -> BotOffice:
    """Whistled Monday 09:00, 住建办 reports for duty at 09:20 (and is on site at once)."""
    office = await open_office(sim)
    await office.whistle("私拉乱接电线", photos=0, location=None, urgent=urgent)
    await sim.tick()
    clock.set(sh(30, 9, 20))
    housing, zhao = office.groups["housing"], office.actors[4002]
    await zhao.press(housing, "报到")
    await sim.tick()
    if urgent:
        await zhao.press(housing, "到场打卡")
        await zhao.tap_keyboard(zhao.chat_id, "📍 发送当前位置", location=(41.1, 123.0))
    await sim.tick()
    return office


async def at(sim: Simulation, clock: FakeClock, moment: datetime) -> None:
    clock.set(moment)
    await sim.tick()


async def test_urgent_deadline_is_chased_then_escalated_and_survives_a_restart(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock, urgent=True)  # 24 h: due Tuesday 09:20
    assert "住建办 ✅ 09:20 报到 · 📍 09:20 到场（处置时限12月1日 09:20）" in (
        office.card("housing").text
    )
    await at(sim, clock, sh(30, 15, 19))
    assert chasers(office, "housing") == []
    await at(sim, clock, sh(30, 15, 20))
    first = chasers(office, "housing")
    assert when(first) == ["11-30 15:20"]
    assert first[0].text == (
        "⏰【处置催办】住建办：隐患 QS-2026-0001（私拉乱接电线）处置时限12月1日 09:20，"
        "剩余18小时。处置后请点击“处置完成”。"
    )
    assert first[0].reply_to == office.card("housing").message_id
    assert first[0].button_labels == ["处置完成"]

    # down from 15:30 until 10:00 the next day: the 21:20 and 03:20 reminders and the 09:20
    # escalation are folded into one escalation
    await sim.stop()
    clock.set(sh(1, 10, 0, month=12))
    await sim.start()
    await sim.tick()
    await sim.tick()
    leaders = overdue(office, office.groups["leading_group"])
    assert when(leaders) == ["12-01 10:00"]
    assert [m.text for m in overdue(office, ADMIN)] == [m.text for m in leaders]
    assert leaders[0].text.splitlines()[0] == "【升级】住建办 处置超期"
    assert "处置时限12月1日 09:20，已超期40分钟，第1次升级。请督促住建办处置。" in leaders[0].text
    assert when(chasers(office, "housing")) == ["11-30 15:20", "12-01 10:00"]
    assert "已超期40分钟，已报告领导小组和三级办" in chasers(office, "housing")[-1].text

    await office.coord.send(ADMIN, "/case QS-2026-0001")
    assert "住建办 ✅ 09:20 报到 · 📍 09:20 到场（⚠️ 处置超期40分钟，时限12月1日 09:20）" in (
        office.last(ADMIN).text
    )
    await office.actors[4002].send(office.groups["housing"], "/open")
    assert "⚠️ 处置超期40分钟" in office.last(office.groups["housing"]).text

    await at(sim, clock, sh(1, 15, 20, month=12))
    assert when(overdue(office, ADMIN)) == ["12-01 10:00", "12-01 15:20"]
    async with sim.rt.transaction() as s:
        events = list(
            await s.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.RESOLVE_ESCALATED))
        )
    assert [e.data["escalation"] for e in events if e.data] == [1, 2]

    # 处置完成 stops the chase
    zhao = office.actors[4002]
    await zhao.press(office.groups["housing"], "处置完成")
    await zhao.send(zhao.chat_id, "已拆除私拉电线。")
    await zhao.press(zhao.chat_id, "提交")
    await at(sim, clock, sh(2, 15, 20, month=12))
    assert when(overdue(office, ADMIN)) == ["12-01 10:00", "12-01 15:20"]
    await sim.stop()


async def test_normal_deadline_counts_five_workdays(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock, urgent=False)
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(CaseDepartment).where(CaseDepartment.acked_at.is_not(None)))
    assert row is not None and row.resolve_due_at == sh(7, 9, 20, month=12)
    assert "住建办 ✅ 09:20 已报到（处置时限12月7日 09:20）" in office.card("housing").text
    await office.actors[4002].send(office.groups["housing"], "/open")
    assert "已报到 · 已20分钟 · 处置时限12月7日 09:20" in office.last(office.groups["housing"]).text
    # one reminder per workday window (12 business hours: 09:20 each workday)
    await at(sim, clock, sh(1, 9, 19, month=12))
    assert chasers(office, "housing") == []
    await at(sim, clock, sh(1, 9, 20, month=12))
    await at(sim, clock, sh(2, 9, 20, month=12))
    reminders = chasers(office, "housing")
    assert when(reminders) == ["12-01 09:20", "12-02 09:20"]
    assert "剩余6天" in reminders[0].text and "剩余5天" in reminders[1].text
    assert overdue(office, ADMIN) == []
    await at(sim, clock, sh(7, 9, 20, month=12))
    assert when(overdue(office, ADMIN)) == ["12-07 09:20"]
    await sim.stop()
