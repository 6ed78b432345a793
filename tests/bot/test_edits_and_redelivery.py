"""Edits and redeliveries change nothing by accident (issue 11, section 2).

- An edited message is never a new answer or command: a hint, and nothing else happens.
- The same update delivered twice (same update_id) is applied once, also after a restart, and
  a repeated answer is not applied even when the update's record was lost (the draft guard).
- A press answered after Telegram's 15-second window: no traceback, no apology.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from faketg import FakeTelegram
from handlers.updates import COMMAND_EDIT_HINT, EDIT_HINT
from models.people import Invitation
from models.reports import ReportSubmission
from models.updates import ProcessedUpdate
from services.clock import FakeClock
from services.dialogs import get_dialog
from sim.office import ADMIN, last_text
from sim.simulation import Simulation
from tests.bot.reminders_helpers import bind_groups, reminders_in, sh, tick_reminders
from tests.bot.reports.helpers import clock_at, member
from tests.cases.botoffice import GRID, open_office


async def police_sim(sqlite_url: str) -> Simulation:
    sim = Simulation(database_url=sqlite_url, clock=clock_at(2026, 11, 16), admins=(ADMIN,))
    sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    return sim


async def report_answers(sim: Simulation) -> dict[str, Any]:
    async with sim.rt.transaction() as s:
        draft = await s.scalar(select(ReportSubmission.draft))
    assert draft is not None
    return dict(draft["answers"])


async def whistle_photos(sim: Simulation) -> list[str]:
    async with sim.rt.transaction() as s:
        dialog = await get_dialog(s, GRID, GRID)
    assert dialog is not None and dialog.kind == "whistle"
    return list(dialog.data["photos"])


# -- edits --------------------------------------------------------------------------------------


async def test_an_edited_number_answer_changes_nothing(sqlite_url: str):
    sim = await police_sim(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await li.send(me, "/report police_monthly")
    await li.press(me, "完成")  # no dispatch meeting
    twelve = await li.send(me, "12")
    assert "检查发现隐患" in last_text(sim, me)  # the next question also takes a number
    before = await report_answers(sim)
    await li.edit(me, twelve.message_id, "77")
    assert last_text(sim, me) == EDIT_HINT
    assert await report_answers(sim) == before == {"dispatch_meetings": [], "inspected_units": 12}
    # the conversation goes on where it was
    await li.send(me, "3")
    assert (await report_answers(sim))["hazards_found"] == 3
    await sim.stop()


async def test_an_edited_invite_makes_no_second_link(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    sent = await coord.send(ADMIN, "/invite 成员 housing")
    assert "https://t.me/firegrid_bot?start=" in last_text(sim, ADMIN)
    links = sim.tg.count_messages(ADMIN, from_bot=True)
    await coord.edit(ADMIN, sent.message_id, "/invite 成员 fire_brigade")
    assert last_text(sim, ADMIN) == COMMAND_EDIT_HINT
    assert sim.tg.count_messages(ADMIN, from_bot=True) == links + 1  # the hint only
    async with sim.rt.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Invitation)) == 1
    await sim.stop()


async def test_an_edited_remind_now_sends_no_second_reminder(sqlite_url: str):
    clock = FakeClock(sh(2026, 12, 3, 10, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    groups = await bind_groups(sim, coord, ("housing",))
    await tick_reminders(sim)
    sent = await coord.send(ADMIN, "/remind_now joint_enforcement 住建办")
    await tick_reminders(sim)
    assert len(reminders_in(sim, groups["housing"])) == 1
    await coord.edit(ADMIN, sent.message_id, "/remind_now joint_enforcement 住建办 ")
    assert last_text(sim, ADMIN) == COMMAND_EDIT_HINT
    await tick_reminders(sim)
    assert len(reminders_in(sim, groups["housing"])) == 1
    await sim.stop()


async def test_group_edits_are_answered_only_for_commands(sqlite_url: str, clock: FakeClock):
    # The bot reads everything here (privacy mode off), as when it is a group admin.
    tg = FakeTelegram(privacy_mode=False, wall_clock=lambda: clock.now().timestamp())
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,), tg=tg)
    await sim.start()
    coord = tg.user(ADMIN, "王", "协调")
    group = tg.create_group("住建办工作群")
    await coord.send(group, "/bind housing")
    chatter = await coord.send(group, "大家好")
    before = tg.count_messages(group, from_bot=True)
    await coord.edit(group, chatter.message_id, "大家下午好")
    assert tg.count_messages(group, from_bot=True) == before  # chatter stays unanswered
    command = await coord.send(group, "/open")
    before = tg.count_messages(group, from_bot=True)
    await coord.edit(group, command.message_id, "/open 全部")
    assert tg.count_messages(group, from_bot=True) == before + 1
    assert last_text(sim, group) == COMMAND_EDIT_HINT
    await sim.stop()


# -- the same update twice ----------------------------------------------------------------------


async def test_a_repeated_answer_fills_one_question(sqlite_url: str):
    sim = await police_sim(sqlite_url)
    tg = sim.tg
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await li.send(me, "/report police_monthly")
    await li.press(me, "完成")
    await li.send(me, "12")
    answer = tg.last_update
    assert answer is not None
    replies = tg.count_messages(me, from_bot=True)
    await tg.deliver(answer)  # Telegram delivers it again
    assert await report_answers(sim) == {"dispatch_meetings": [], "inspected_units": 12}
    assert tg.count_messages(me, from_bot=True) == replies  # no second answer either
    # after a restart (the record is in the database)
    await sim.restart()
    await tg.deliver(answer)
    assert "hazards_found" not in await report_answers(sim)
    # the crash window: the answer committed, its record lost; the draft still knows it
    await li.send(me, "3")
    answer = tg.last_update
    assert answer is not None
    async with sim.rt.transaction() as s:
        await s.execute(delete(ProcessedUpdate))
    await tg.deliver(answer)
    assert await report_answers(sim) == {
        "dispatch_meetings": [],
        "inspected_units": 12,
        "hazards_found": 3,
    }
    await sim.stop()


async def test_a_repeated_photo_is_stored_once(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg, grid = sim.tg, office.grid
    await grid.send(GRID, "吹哨")
    await grid.press(GRID, "消防通道堵塞")
    await grid.press(GRID, "梨花苑小区")
    await grid.press(GRID, "跳过")
    await grid.send_photo(GRID)
    photo = tg.last_update
    assert photo is not None
    await tg.deliver(photo)
    assert len(await whistle_photos(sim)) == 1
    assert last_text(sim, GRID).startswith("已收到第1张照片")
    await sim.restart()
    await tg.deliver(photo)
    assert len(await whistle_photos(sim)) == 1
    # the crash window: no record of the update, the draft guard holds
    await grid.send_photo(GRID)
    second = tg.last_update
    assert second is not None
    async with sim.rt.transaction() as s:
        await s.execute(delete(ProcessedUpdate))
    await tg.deliver(second)
    await tg.deliver(photo)
    assert len(await whistle_photos(sim)) == 2
    await grid.press(GRID, "完成")
    assert "请用一两句话描述隐患情况" in last_text(sim, GRID)
    await sim.stop()


async def test_old_records_are_pruned_by_the_tick(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/help")

    async def kept() -> int:
        async with sim.rt.transaction() as s:
            return int(await s.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)

    assert await kept() == 1
    clock.advance(days=2)
    await sim.tick()
    assert await kept() == 1
    clock.advance(days=2)
    await sim.tick()
    assert await kept() == 0
    await sim.stop()


# -- a press answered too late -------------------------------------------------------------------


async def test_a_press_answered_too_late_is_quiet_and_still_counts(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg, grid = sim.tg, office.grid
    await grid.send(GRID, "吹哨")
    caplog.set_level(logging.INFO)
    before = tg.count_messages(GRID, from_bot=True)
    # the press waited 20 s to reach the bot (e.g. behind a busy moment): Telegram refuses
    # the answer, the press is still applied
    answer = await grid.press(GRID, "消防通道堵塞", age=20)
    assert answer is None
    assert "query is too old" in (tg.calls_to("answerCallbackQuery")[-1].error or "")
    assert "请选择隐患所在区域" in last_text(sim, GRID)
    texts = [m.text for m in tg.bot_messages(GRID)[before:]]
    assert not any("抱歉" in t for t in texts), texts
    # a late 报到 (answered by the case handler itself, not through answer_press)
    await grid.send(GRID, "/cancel")
    await office.whistle()
    await sim.tick()
    housing = office.groups["housing"]
    assert await office.actors[4002].press(housing, "报到", age=30) is None
    await sim.tick()
    assert "住建办 ✅" in office.card("housing").text
    assert not any("抱歉" in m.text for m in tg.bot_messages(housing))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]
    await sim.stop()
