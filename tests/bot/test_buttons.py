"""Buttons and ids through the real bot: forged numbers are refused politely on both databases,
and nothing changes (issue 11, defect 3)."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from handlers.buttons import button_guard
from handlers.context import CustomContext
from models.cases import CaseDepartment, CaseEvent
from models.dialogs import DialogState
from models.dto import PersonInfo
from models.people import Person
from services.buttons import Codec, Id
from services.clock import FakeClock
from services.errors import Refusal
from sim.office import ADMIN, invite, last_text
from sim.simulation import Simulation
from tests.cases.botoffice import GRID, open_office

SORRY = "系统处理该请求时出现问题"


async def _state(sim: Simulation) -> tuple[int, list[tuple[int, str, str]]]:
    """Active people, and every open conversation (who, kind, step)."""
    async with sim.rt.transaction() as s:
        active = await s.scalar(
            select(func.count()).select_from(Person).where(Person.active.is_(True))
        )
        dialogs = (
            await s.execute(
                select(DialogState.user_id, DialogState.kind, DialogState.step).order_by(
                    DialogState.user_id
                )
            )
        ).all()
    return int(active or 0), [tuple(d) for d in dialogs]


async def _cases(sim: Simulation) -> tuple[list[tuple[int, str]], int]:
    """The departments' parts in cases and the number of events: a refusal leaves them alone."""
    async with sim.rt.transaction() as s:
        parts = [
            (r.id, r.status)
            for r in await s.scalars(select(CaseDepartment).order_by(CaseDepartment.id))
        ]
        events = await s.scalar(select(func.count()).select_from(CaseEvent))
    return parts, int(events or 0)


async def test_forged_ids_get_a_polite_answer_and_change_nothing(
    db_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    sim = Simulation(database_url=db_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "协调员")
    await coord.send(ADMIN, "/start")
    grid = await invite(sim, coord, GRID, "网格员", "梨花苑小区", role="网格员")
    # The grid worker is at the area question, where `wh:area:<id>` is the expected button.
    await grid.send(GRID, "吹哨")
    await grid.press(GRID, "消防通道堵塞")
    assert "请选择隐患所在区域" in last_text(sim, GRID)
    before = await _state(sim)
    caplog.clear()

    presses = [
        (grid, GRID, "wh:area:²"),  # "²".isdigit() is True, int("²") raises
        (grid, GRID, "wh:area:99999999999"),  # beyond PostgreSQL's integer
        (grid, GRID, "c:ack:²:7"),
        (coord, ADMIN, "c:ack:99999999999:7"),
        (coord, ADMIN, "c:vok:99999999999999999999"),  # beyond SQLite's 64 bits
        (coord, ADMIN, "rem:held:99999999999"),
        (coord, ADMIN, "rem:held:99999999999999999999"),
        (coord, ADMIN, "rp:a:999999999999:1:back"),
        (coord, ADMIN, "rp:a:1:1:opt:²"),
    ]
    for actor, chat, data in presses:
        message = tg.last_message(chat)
        answer = await actor.press_data(chat, message.message_id, data)
        assert answer is not None and answer.text, f"{data}: unanswered"
        assert answer.show_alert and "失效" in answer.text, f"{data}: {answer.text}"
        assert SORRY not in answer.text

    for command in ["/remove ²", "/remove 99999999999", "/remove 99999999999999999999"]:
        await coord.send(ADMIN, command)
        said = last_text(sim, ADMIN)
        assert said.startswith("用法：/remove 人员编号"), f"{command}: {said}"

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert await _state(sim) == before
    # The conversation still takes the real button.
    await grid.press(GRID, "梨花苑小区")
    assert "详细地址" in last_text(sim, GRID)
    await sim.stop()


async def test_a_grid_worker_pressing_report_for_duty_hears_what_grid_workers_do(
    sqlite_url: str, clock: FakeClock
):
    """Defect 10: /whoami shows the grid worker in 千山社区, so "仅限千山社区成员" misled."""
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    await office.grid.send(GRID, "/whoami")
    assert "所属部门：千山社区" in last_text(sim, GRID)
    await office.whistle()
    await office.coord.send(ADMIN, "/case_add QS-2026-0001 千山社区")
    await sim.tick()
    before = await _cases(sim)
    for key in ("community_qianshan", "housing"):
        card = office.card(key)
        answer = await office.grid.press(office.groups[key], "报到", message_id=card.message_id)
        assert answer is not None and answer.show_alert and answer.text is not None
        assert answer.text == "报到由责任部门的部门成员或负责人操作；网格员负责吹哨上报和核查。"
    assert await _cases(sim) == before
    # A member of another department still hears whose button it is.
    member = office.actors[4004]
    card = office.card("community_qianshan")
    answer = await member.press(
        office.groups["community_qianshan"], "报到", message_id=card.message_id
    )
    assert answer is not None and "该按钮仅限千山社区成员操作" in (answer.text or "")
    await sim.stop()


async def test_case_timeline_stays_out_of_other_departments_groups(
    sqlite_url: str, clock: FakeClock
):
    """Defect 7: /case in another department's group or an unbound group showed names and
    actions to everyone there; now only the case's departments' groups (and the coordinators'
    and leading group's) show it, and the person gets it privately elsewhere."""
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    await office.whistle()  # 千山派出所 and 住建办
    await sim.tick()
    member = office.actors[4002]  # 住建办: entitled to read the case
    await member.send(member.id, "/start")
    stray = tg.create_group("闲聊群")

    for group in (office.groups["fire_brigade"], stray):
        before = tg.count_messages(member.id, from_bot=True)
        await member.send(group, "/case QS-2026-0001")
        note = last_text(sim, group)
        assert note == "QS-2026-0001 的记录只在相关部门的工作群和私聊中显示，已私聊发送给您。"
        assert tg.count_messages(member.id, from_bot=True) == before + 1
        private = last_text(sim, member.id)
        assert "吹哨上报" in private and "李某" in private
    for message in tg.chat_view(office.groups["fire_brigade"]) + tg.chat_view(stray):
        assert "李某" not in message.text and "吹哨上报" not in message.text

    # In a group of a department on the case, and in the leading group's: shown there.
    for actor, key in ((member, "housing"), (office.coord, "leading_group")):
        await actor.send(office.groups[key], "/case QS-2026-0001")
        assert "吹哨上报" in last_text(sim, office.groups[key])

    # Someone the bot cannot write to privately is told how to read it.
    await member.block_bot()
    await member.send(stray, "/case QS-2026-0001")
    assert last_text(sim, stray) == (
        "QS-2026-0001 的记录只在相关部门的工作群和私聊中显示。您尚未与本机器人私聊："
        "请先私聊本机器人发送 /start，再发送 /case QS-2026-0001。"
    )
    await sim.stop()


class Probe(StrEnum):
    QUIET = "quiet"  # the handler forgets to answer
    LATE = "late"  # the handler answers, then refuses


PROBE = Codec("probe", {Probe.QUIET: (Id(),), Probe.LATE: ()})


async def test_the_guard_answers_every_press_once_and_only_lets_decoded_ones_through(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    tg = sim.tg
    seen: list[tuple[str, int]] = []

    async def quiet(update: Update, context: CustomContext, person: PersonInfo, press) -> None:
        seen.append((person.display_name, press.id(0)))

    async def late(update: Update, context: CustomContext, person: PersonInfo, press) -> None:
        await press.answer("已收到")
        raise Refusal("但未能办理")

    guard = button_guard(
        PROBE, {Probe.QUIET: quiet, Probe.LATE: late}, stale="按钮已失效", where="private"
    )

    async def first(update: Update, context: CustomContext) -> None:
        await guard(update, context)
        raise ApplicationHandlerStop  # the features' handlers (group 0) never see a probe

    sim.app.add_handler(CallbackQueryHandler(first, pattern=PROBE.pattern), group=-1)
    coord = tg.user(ADMIN, "协调员")
    await coord.send(ADMIN, "/start")
    message = tg.last_message(ADMIN).message_id

    answer = await coord.press_data(ADMIN, message, "probe:quiet:5")
    assert answer is not None and answer.text is None  # answered, silently, by the guard
    assert seen == [("协调员", 5)]
    answer = await coord.press_data(ADMIN, message, "probe:late")
    assert answer is not None and answer.text == "已收到"
    assert last_text(sim, ADMIN) == "但未能办理"  # the popup was spent: said in the chat
    for data in ("probe:quiet:²", "probe:quiet", "probe:late:1", "probe:zzz"):
        answer = await coord.press_data(ADMIN, message, data)
        assert answer is not None and answer.text == "按钮已失效", data
    stranger = tg.user(9001, "路人")
    await stranger.send(stranger.id, "/start")
    sim.clock.advance(timedelta(minutes=5))  # a stranger is answered once per 5 minutes
    answer = await stranger.press_data(
        stranger.id, tg.last_message(stranger.id).message_id, "probe:quiet:6"
    )
    assert answer is not None and "尚未登记" in (answer.text or "")
    group = tg.create_group("某群")
    await coord.send(group, "/whoami")
    answer = await coord.press_data(group, tg.last_message(group).message_id, "probe:quiet:7")
    assert answer is not None and answer.text == "请在与本机器人的私聊中使用该命令。"
    assert seen == [("协调员", 5)]
    await sim.stop()
