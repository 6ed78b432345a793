"""Meeting reminders through the fake Telegram: 已召开 and 改期, and presses that are refused."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models.reminders import OccurrenceStatus, ReminderOccurrence
from services.clock import FakeClock
from services.reminders.meetings import held_meetings
from sim.office import ADMIN, invite
from sim.simulation import Simulation
from tests.bot.reminders_helpers import bind_groups, reminders_in, sh, tick_reminders


async def occurrence_states(
    sim: Simulation,
) -> dict[tuple[str, str], tuple[OccurrenceStatus, date | None]]:
    async with sim.rt.transaction() as session:
        rows = await session.scalars(select(ReminderOccurrence))
        return {(r.rule_key, r.period): (r.status, r.held_on) for r in rows}


async def test_held_postponed_and_refused_presses(sqlite_url: str):
    clock = FakeClock(sh(2026, 11, 30, 20, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    groups = await bind_groups(sim, coord, ("police_bureau", "housing"))
    police, housing = groups["police_bureau"], groups["housing"]
    zhang = await invite(sim, coord, 2001, "张警官", "police_bureau")
    li = await invite(sim, coord, 2002, "李警官", "police_bureau")
    zhao = await invite(sim, coord, 2003, "赵主任", "housing")

    clock.set(sh(2026, 12, 1, 9, 0))
    await tick_reminders(sim)
    reminder = reminders_in(sim, police)[-1]
    assert reminder.text.splitlines()[:3] == [
        "【工作提醒】月度消防工作调度会",
        "部门：公安分局",
        "周期：2026年12月",
    ]
    assert "时间：2026年12月1日（周二） 09:00（今天）" in reminder.text
    assert reminder.button_labels == ["已召开", "改期"]

    # Someone from another department: refused in a popup, nothing recorded, no question.
    answer = await zhao.press(police, "已召开")
    assert answer is not None and answer.show_alert
    assert answer.text == "该按钮仅限公安分局成员操作。如需加入，请联系协调员获取邀请链接。"
    assert await occurrence_states(sim) == {
        ("police_dispatch_meeting", "2026-12"): (OccurrenceStatus.OPEN, None),
        ("social_dispatch_meeting", "2026-12"): (OccurrenceStatus.OPEN, None),
        ("housing_property_meeting", "2026-12"): (OccurrenceStatus.OPEN, None),
    }
    assert tg.last_message(police).message_id == reminder.message_id

    # A member: asked for the date; a future date is refused with the reason; 今天 records it.
    clock.set(sh(2026, 12, 1, 11, 0))
    await zhang.press(police, "已召开")
    question = tg.last_message(police)
    assert question.text.startswith("请登记公安分局2026年12月月度消防工作调度会的召开日期")
    assert question.button_labels == ["今天（12月1日）", "昨天（11月30日）"]
    await zhang.send(police, "12月5日", reply_to=question.message_id)
    assert "召开日期不能晚于今天（2026年12月1日（周二））" in tg.last_message(police).text
    await zhang.send(police, "下周", reply_to=question.message_id)
    assert "未能识别日期" in tg.last_message(police).text
    answer = await zhang.press(police, "今天（12月1日）", message_id=question.message_id)
    assert answer is not None and answer.text == "已登记"
    confirmed = tg.message(police, question.message_id)
    assert (
        confirmed.text
        == "已登记：公安分局2026年12月月度消防工作调度会已于2026年12月1日（周二）召开。谢谢。"
    )
    await tick_reminders(sim)
    edited = tg.message(police, reminder.message_id)
    assert edited.text.endswith("✅ 已于2026年12月1日（周二）召开（登记：张警官）")
    assert edited.button_labels == []

    # A second member, late: the held meeting is not recorded twice.
    today_data = question.buttons[0][0].value
    occurrence = today_data.split(":")[2]
    answer = await li.press_data(police, question.message_id, f"rem:hd:{occurrence}:20261130")
    assert answer is not None and answer.show_alert and "无需重复登记" in (answer.text or "")
    # Forged data: an unknown occurrence and an impossible date.
    answer = await li.press_data(police, reminder.message_id, "rem:held:999")
    assert answer is not None and answer.text == "该提醒已失效。"
    answer = await li.press_data(police, reminder.message_id, f"rem:hd:{occurrence}:20261340")
    assert answer is not None and answer.text == "该按钮已失效。"
    states = await occurrence_states(sim)
    assert states[("police_dispatch_meeting", "2026-12")] == (
        OccurrenceStatus.HELD,
        date(2026, 12, 1),
    )

    # Postponed by typing a date and a time; reminded again then, and held after that.
    housing_reminder = reminders_in(sim, housing)[-1]
    await zhao.press(housing, "改期")
    question = tg.last_message(housing)
    assert question.button_labels == ["下一个工作日（12月2日）", "再下一个工作日（12月3日）"]
    await zhao.send(housing, "昨天", reply_to=question.message_id)
    assert "改期时间须晚于现在" in tg.last_message(housing).text
    await zhao.send(housing, "12月8日 15:00", reply_to=question.message_id)
    assert tg.last_message(housing).text == (
        "已登记：住建办2026年12月物业企业消防工作会议改期至2026年12月8日（周二） 15:00，"
        "届时将再次提醒。谢谢。"
    )
    await tick_reminders(sim)
    assert tg.message(housing, housing_reminder.message_id).text.endswith(
        "⏸ 已改期至2026年12月8日（周二） 15:00，届时将再次提醒（登记：赵主任）"
    )
    clock.set(sh(2026, 12, 8, 14, 59))
    await tick_reminders(sim)
    assert reminders_in(sim, housing)[-1].message_id == housing_reminder.message_id
    clock.set(sh(2026, 12, 8, 15, 0))
    await tick_reminders(sim)
    again = reminders_in(sim, housing)[-1]
    assert again.text.startswith("【改期提醒】物业企业消防工作会议")
    assert "原定：2026年12月1日（周二） 09:00" in again.text
    assert "改期至：2026年12月8日（周二） 15:00（今天）" in again.text
    assert again.button_labels == ["已召开", "改期"]
    await sim.restart()
    await tick_reminders(sim)
    assert reminders_in(sim, housing)[-1].message_id == again.message_id  # once only

    clock.set(sh(2026, 12, 8, 17, 0))
    await zhao.press(housing, "已召开")
    await zhao.send(housing, "今天", reply_to=tg.last_message(housing).message_id)
    assert "已于2026年12月8日（周二）召开" in tg.last_message(housing).text

    async with sim.rt.transaction() as session:
        held = await held_meetings(session, sim.rt.org, date(2026, 12, 1), date(2026, 12, 31))
    assert [(h.department_name, h.rule_name, h.held_on, h.period) for h in held] == [
        ("公安分局", "月度消防工作调度会", date(2026, 12, 1), "2026-12"),
        ("住建办", "物业企业消防工作会议", date(2026, 12, 8), "2026-12"),
    ]
    sim.tg.check()
    await sim.stop()


async def test_a_coordinator_may_answer_for_a_department_without_a_group(sqlite_url: str):
    clock = FakeClock(sh(2026, 11, 30, 20, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    clock.set(sh(2026, 12, 1, 9, 0))
    await tick_reminders(sim)
    # 社会事业局 has no group: its meeting reminder reaches the coordinators, buttons included.
    forwarded = next(
        m for m in sim.tg.bot_messages(ADMIN) if "社会事业局尚无可用的工作群" in m.text
    )
    assert "【工作提醒】月度消防工作调度会" in forwarded.text
    await coord.press(ADMIN, "已召开", message_id=forwarded.message_id)
    await coord.send(ADMIN, "11月30日")
    assert sim.tg.last_message(ADMIN).text == (
        "已登记：社会事业局2026年12月月度消防工作调度会已于2026年11月30日（周一）召开。谢谢。"
    )
    clock.advance(timedelta(minutes=1))
    async with sim.rt.transaction() as session:
        held = await held_meetings(session, sim.rt.org, date(2026, 11, 1), date(2026, 11, 30))
    assert [(h.department_name, h.held_on) for h in held] == [("社会事业局", date(2026, 11, 30))]
    sim.tg.check()
    await sim.stop()
