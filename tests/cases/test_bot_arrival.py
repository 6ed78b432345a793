"""到场 through the real Application: the location button, the distance, the chase, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from faketg.records import ViewMessage
from models.cases import CaseDepartment, CaseEvent, EventKind
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, SH, BotOffice, open_office

PIN = (41.1, 123.0)  # the whistle's pin in botoffice
NEAR = (41.1 + 80 / 111_195, 123.0)  # about 80 m north
FAR = (41.1 + 1200 / 111_195, 123.0)  # about 1.2 km north


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 30, hour, minute, tzinfo=SH)


def chasers(office: BotOffice, key: str) -> list[ViewMessage]:
    return [m for m in office.tg.bot_messages(office.groups[key]) if "【到场催办】" in m.text]


def arrival_escalations(office: BotOffice, chat_id: int) -> list[ViewMessage]:
    return [m for m in office.tg.bot_messages(chat_id) if "未到场" in m.text.splitlines()[0]]


def hhmm(messages: list[ViewMessage]) -> list[str]:
    return [m.sent_at.astimezone(SH).strftime("%H:%M") for m in messages]


async def _reported(sim: Simulation, clock: FakeClock, **whistle: object) -> BotOffice:
    """Whistled at 09:00 (urgent unless told), 住建办 reports for duty at 09:20."""
    office = await open_office(sim)
    await office.whistle("私拉乱接电线", photos=0, **whistle)  # type: ignore[arg-type]
    await sim.tick()
    clock.set(at(9, 20))
    await office.actors[4002].press(office.groups["housing"], "报到")
    await sim.tick()
    return office


async def test_arrival_within_the_radius_is_recorded_with_its_distance(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock)
    housing, zhao = office.groups["housing"], office.actors[4002]
    card = office.card("housing")
    assert "住建办 ✅ 09:20 已报到" in card.text
    assert card.button_labels == ["到场打卡", "处置完成"]

    clock.set(at(9, 41))
    answer = await zhao.press(housing, "到场打卡")
    assert answer is not None and answer.text == "请在与本机器人的私聊中发送您的位置。"
    ask = office.last(zhao.chat_id)
    assert ask.text.startswith("到场打卡：QS-2026-0001（私拉乱接电线）住建办。")
    assert ask.location_buttons == ("📍 发送当前位置",)
    assert ask.keyboard == (("📍 发送当前位置",), ("取消",))

    await zhao.tap_keyboard(zhao.chat_id, "📍 发送当前位置", location=NEAR)
    done = office.last(zhao.chat_id).text
    assert done == "已登记 QS-2026-0001 住建办到场：11月30日 09:41，距隐患点约80米。谢谢。"
    assert office.tg.reply_keyboard(zhao.chat_id) is None  # the location keyboard is gone
    await sim.tick()
    card = office.card("housing")
    assert "住建办 ✅ 09:20 报到 · 📍 09:41 到场（距约80米）" in card.text
    assert card.button_labels == ["处置完成"]

    # a colleague's later press (an old message's button) hears who arrived and when
    data = card.button("处置完成").value.replace("c:res:", "c:arr:")
    again = await office.actors[4012].press_data(housing, card.message_id, data)
    assert (
        again is not None and again.text == "住建办已由赵某于11月30日 09:41到场打卡，无需重复操作。"
    )
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(CaseDepartment).where(CaseDepartment.arrived_at.is_not(None)))
        event = await s.scalar(select(CaseEvent).where(CaseEvent.kind == EventKind.ARRIVED))
    assert row is not None and row.arrive_distance_m is not None
    assert 75 <= row.arrive_distance_m <= 85 and row.arrive_next_at is None
    assert event is not None and event.note == "距隐患点约80米"
    assert event.data is not None and event.data["far"] is False and event.data["live"] is False

    await zhao.send(zhao.chat_id, "/case QS-2026-0001")
    timeline = office.last(zhao.chat_id).text
    assert "赵某（私聊） · 住建办 到场打卡：距隐患点约80米" in timeline
    await sim.stop()


async def test_a_far_location_is_asked_about_and_recorded_either_way(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock)
    housing, zhao = office.groups["housing"], office.actors[4002]
    clock.set(at(9, 30))
    await zhao.press(housing, "到场打卡")
    await zhao.tap_keyboard(zhao.chat_id, "📍 发送当前位置", location=FAR)
    question = office.last(zhao.chat_id)
    assert question.text.startswith("距隐患点约1.2公里，仍登记到场？")
    assert question.button_labels == ["仍登记到场", "取消"]
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(CaseDepartment).where(CaseDepartment.acked_at.is_not(None)))
    assert row is not None and row.arrived_at is None  # nothing recorded before the answer

    # the bot restarts before the answer: the question still works, the time is the share's
    await sim.stop()
    clock.set(at(9, 33))
    await sim.start()
    await zhao.press(zhao.chat_id, "仍登记到场")
    assert office.last(zhao.chat_id).text == (
        "已登记 QS-2026-0001 住建办到场：11月30日 09:30，距隐患点约1.2公里。谢谢。"
    )
    await sim.tick()
    assert "📍 09:30 到场（距约1.2公里）" in office.card("housing").text
    async with sim.rt.transaction() as s:
        event = await s.scalar(select(CaseEvent).where(CaseEvent.kind == EventKind.ARRIVED))
    assert event is not None and event.note == "距隐患点约1.2公里，超出300米范围"
    await sim.stop()


async def test_cancel_after_the_distance_question_records_nothing(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock)
    housing, zhao = office.groups["housing"], office.actors[4002]
    await zhao.press(housing, "到场打卡")
    await zhao.tap_keyboard(zhao.chat_id, "📍 发送当前位置", location=FAR)
    await zhao.press(zhao.chat_id, "取消")
    assert office.last(zhao.chat_id).text.startswith("已取消，未登记到场。")
    assert office.tg.reply_keyboard(zhao.chat_id) is None
    # 取消 from the keyboard before sharing ends it too
    await zhao.press(housing, "到场打卡")
    await zhao.tap_keyboard(zhao.chat_id, "取消")
    assert office.last(zhao.chat_id).text == "已取消到场打卡。"
    await sim.tick()
    assert office.card("housing").button_labels == ["到场打卡", "处置完成"]
    async with sim.rt.transaction() as s:
        arrived = await s.scalar(select(CaseEvent).where(CaseEvent.kind == EventKind.ARRIVED))
    assert arrived is None
    await sim.stop()


async def test_without_a_pin_arrival_has_no_distance_and_live_location_counts(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock, location=None)
    housing, zhao = office.groups["housing"], office.actors[4002]
    clock.set(at(9, 45))
    await zhao.press(housing, "到场打卡")
    await zhao.send_location(zhao.chat_id, *FAR, live_period=900)
    assert office.last(zhao.chat_id).text == (
        "已登记 QS-2026-0001 住建办到场：11月30日 09:45（该案件未附位置，未计算距离）。谢谢。"
    )
    await sim.tick()
    assert "住建办 ✅ 09:20 报到 · 📍 09:45 到场（处置时限" in office.card("housing").text
    async with sim.rt.transaction() as s:
        event = await s.scalar(select(CaseEvent).where(CaseEvent.kind == EventKind.ARRIVED))
    assert event is not None and event.note is None
    assert event.data is not None and event.data["live"] is True
    assert event.data["distance_m"] is None
    await sim.stop()


async def test_only_a_department_that_reported_may_arrive(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock)
    community = office.groups["community_qianshan"]
    card = office.card("community_qianshan")
    sun = office.actors[4003]
    forged = card.button("报到").value.replace("c:ack:", "c:arr:")
    answer = await sun.press_data(community, card.message_id, forged)
    assert answer is not None and answer.text == "千山社区尚未报到，请先点击“报到”。"
    # a member of another department cannot arrive for 住建办
    housing_card = office.card("housing")
    answer = await sun.press(office.groups["housing"], "到场打卡")
    assert answer is not None and "仅限住建办成员" in answer.text
    assert office.card("housing").text == housing_card.text
    await sim.stop()


async def test_urgent_chase_reminds_then_escalates_and_survives_a_restart(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock)  # 报到 09:20: on site due 09:50
    five = timedelta(minutes=5)
    await sim.run_until(at(9, 55), step=five)
    reminders = chasers(office, "housing")
    assert hhmm(reminders) == ["09:50"]
    assert reminders[0].text == (
        "⏰【到场催办】住建办：隐患 QS-2026-0001（私拉乱接电线）已报到30分钟，尚未到场。"
        "请尽快到场并点击“到场打卡”。"
    )
    assert reminders[0].reply_to == office.card("housing").message_id
    assert reminders[0].button_labels == ["到场打卡"]
    await sim.stop()
    clock.set(at(10, 15))  # down 09:55–10:15: the 10:00 and 10:10 escalations were missed
    await sim.start()
    await sim.tick()
    await sim.tick()
    leaders = arrival_escalations(office, office.groups["leading_group"])
    assert hhmm(leaders) == ["10:15"]  # one, not two
    assert [m.text for m in arrival_escalations(office, ADMIN)] == [m.text for m in leaders]
    assert leaders[0].text.splitlines()[0] == "【升级】住建办 未到场"
    assert "已报到55分钟仍未到场，第2次升级。请督促住建办到场。" in leaders[0].text
    await sim.run_until(at(10, 25), step=five)
    assert hhmm(arrival_escalations(office, ADMIN)) == ["10:15", "10:20"]
    assert "已报告领导小组和三级办" in chasers(office, "housing")[-1].text

    await office.actors[4002].press(office.groups["housing"], "到场打卡")
    await office.actors[4002].tap_keyboard(4002, "📍 发送当前位置", location=PIN)
    await sim.run_until(at(11, 0), step=five)
    assert hhmm(arrival_escalations(office, ADMIN)) == ["10:15", "10:20"]  # stopped
    async with sim.rt.transaction() as s:
        kinds = list(
            await s.scalars(
                select(CaseEvent.kind).where(CaseEvent.kind == EventKind.ARRIVE_ESCALATED)
            )
        )
    assert len(kinds) == 2
    await sim.stop()


async def test_a_normal_case_has_no_arrival_deadline(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock, urgent=False)
    await sim.run_until(at(18, 0), step=timedelta(minutes=30))
    assert chasers(office, "housing") == []
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(CaseDepartment).where(CaseDepartment.acked_at.is_not(None)))
    assert row is not None and row.arrive_due_at is None and row.arrive_next_at is None
    await sim.stop()


async def test_resolving_stops_the_chase(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await _reported(sim, clock)
    housing, zhao = office.groups["housing"], office.actors[4002]
    clock.set(at(9, 40))
    await zhao.press(housing, "处置完成")
    await zhao.send(zhao.chat_id, "已拆除私拉电线。")
    await zhao.press(zhao.chat_id, "提交")
    await sim.run_until(at(10, 30), step=timedelta(minutes=5))
    assert chasers(office, "housing") == []
    assert clock.now() > datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    await sim.stop()
