"""Onboarding through the real Application on the fake Telegram: bind, invite, register, refuse."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.chats import BoundChat
from models.people import Invitation, Person
from services.clock import FakeClock
from sim.office import ADMIN, invite_code, last_text
from sim.simulation import Simulation
from tests.cases.botoffice import open_office

STRANGER_WINDOW = timedelta(minutes=5)


async def counts(sim: Simulation) -> tuple[int, int, int]:
    async with sim.rt.transaction() as s:
        people = await s.scalar(select(func.count()).select_from(Person))
        bound = await s.scalar(select(func.count()).select_from(BoundChat))
        used = await s.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.used_at.is_not(None))
        )
    return int(people or 0), int(bound or 0), int(used or 0)


async def test_coordinator_onboards_an_office(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,), migrate=True)
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    housing_group = tg.create_group("住建办工作群")
    police_group = tg.create_group("千山派出所工作群", supergroup=True)
    await coord.send(housing_group, "/bind housing")
    assert "已将本群绑定为住建办工作群" in last_text(sim, housing_group)
    await coord.send(police_group, "/bind 千山派出所")
    assert "千山派出所工作群" in last_text(sim, police_group)
    await coord.send(ADMIN, "/groups")
    listing = last_text(sim, ADMIN)
    assert "✅ 住建办（housing）" in listing and "⏳ 消防大队（fire_brigade）" in listing

    await coord.send(ADMIN, "/invite 网格员 梨花苑小区")
    grid_code = invite_code(last_text(sim, ADMIN))
    await coord.send(ADMIN, "/invite 成员 housing")
    member_code = invite_code(last_text(sim, ADMIN))

    grid = tg.user(3001, "李", "网格")
    await grid.send(3001, f"/start {grid_code}")
    welcome = last_text(sim, 3001)
    assert "登记成功" in welcome and "网格员" in welcome and "梨花苑小区" in welcome
    member = tg.user(3002, "赵", "成员")
    await member.send(3002, f"/start {member_code}")
    assert "所属部门：住建办" in last_text(sim, 3002)

    await grid.send(3001, "/help")
    grid_help = last_text(sim, 3001)
    await coord.send(ADMIN, "/help")
    coord_help = last_text(sim, ADMIN)
    assert "/invite" in coord_help and "/invite" not in grid_help
    assert "/whoami" in grid_help and grid_help != coord_help

    # command menus per scope: the coordinator's own chat (set at their /start), private, groups
    await coord.send(ADMIN, "/start")
    coord_menu = {name for name, _ in tg.commands_for(ADMIN, ADMIN)}
    grid_menu = {name for name, _ in tg.commands_for(3001, 3001)}
    group_menu = {name for name, _ in tg.commands_for(housing_group, 3002)}
    assert {"invite", "people", "groups"} <= coord_menu
    assert "invite" not in grid_menu and "whoami" in grid_menu
    assert "bind" in group_menu and "invite" not in group_menu

    await member.send(3002, "/whoami")
    assert "部门成员" in last_text(sim, 3002)
    await coord.send(ADMIN, "/people")
    people = last_text(sim, ADMIN)
    assert "【住建办】" in people and "赵" in people and "网格员" in people
    await sim.stop()


async def test_strangers_and_bad_codes_are_refused_with_nothing_changed(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    group = tg.create_group("某群")
    stranger = tg.user(4001, "陌生人")
    await coord.send(ADMIN, "/invite 成员 housing")
    code = invite_code(last_text(sim, ADMIN))
    before = await counts(sim)

    # a stranger is answered once per 5 minutes (flood control), so each try comes later
    await stranger.send(group, "/bind housing")
    assert "尚未登记" in last_text(sim, group)
    sim.clock.advance(STRANGER_WINDOW)
    await stranger.send(4001, "/invite 成员 housing")
    assert "尚未登记" in last_text(sim, 4001)
    sim.clock.advance(STRANGER_WINDOW)
    await stranger.send(4001, "/people")
    assert "尚未登记" in last_text(sim, 4001)
    sim.clock.advance(STRANGER_WINDOW)
    await stranger.send(4001, "/start notacode123")
    assert "邀请码无效" in last_text(sim, 4001)
    sim.clock.advance(STRANGER_WINDOW)
    await stranger.send(4001, "随便说点什么")
    assert "尚未登记" in last_text(sim, 4001)
    sim.clock.advance(STRANGER_WINDOW)
    assert await counts(sim) == before

    first = tg.user(4002, "甲")
    await first.send(4002, f"/start {code}")
    assert "登记成功" in last_text(sim, 4002)
    after_first = await counts(sim)
    await stranger.send(4001, f"/start {code}")
    assert "已被使用" in last_text(sim, 4001)
    assert await counts(sim) == after_first

    # a member may not use coordinator commands, and /bind in a private chat is refused
    await first.send(4002, "/invite 成员 housing")
    assert "仅限协调员" in last_text(sim, 4002)
    await coord.send(ADMIN, "/bind housing")
    assert "工作群中使用" in last_text(sim, ADMIN)

    await coord.send(ADMIN, "/invite 成员 fire_brigade")
    late = invite_code(last_text(sim, ADMIN))
    sim.clock.advance(timedelta(days=7, minutes=1))
    await stranger.send(4001, f"/start {late}")
    assert "已过期" in last_text(sim, 4001)
    assert await counts(sim) == after_first

    await stranger.send(4001, "字" * 10_000)
    assert "消息过长" in last_text(sim, 4001) or "尚未登记" in last_text(sim, 4001)
    await sim.stop()


async def test_invite_expiry_is_written_in_the_house_date_style(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    try:
        coord = sim.tg.user(ADMIN, "王", "协调")
        await coord.send(ADMIN, "/invite 成员 housing")
        text = sim.tg.last_message(ADMIN).text
        # issued Monday 30 November 09:00, valid seven days
        assert "2026年12月7日（周一） 09:00前有效" in text, text
        assert "12月07日" not in text
    finally:
        await sim.stop()


async def test_a_mistyped_department_name_gets_a_suggestion_in_every_command_that_takes_one(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, coord = office.tg, office.coord
        await office.whistle()
        group = tg.create_group("新群", supergroup=True)
        cases = [
            (ADMIN, "/invite 成员 住建", "住建办（housing）"),
            (ADMIN, "/invite 成员 hosuing", "住建办（housing）"),
            (group, "/bind 消防大对", "消防大队（fire_brigade）"),
            (ADMIN, "/reports 千山", "千山派出所（police_station_qianshan）"),
            (ADMIN, "/unlock 千山 community_duties", "千山社区（community_qianshan）"),
            (ADMIN, "/reports 住建办 十一月", "住建办（housing）"),
            (ADMIN, "/case_add QS-2026-0001 社会事业", "社会事业局（social_affairs）"),
        ]
        for chat, command, suggestion in cases:
            await coord.send(chat, command)
            answer = tg.last_message(chat).text
            assert "未找到部门" in answer and "您是否要找" in answer, (command, answer)
            assert suggestion in answer, (command, answer)
        await coord.send(ADMIN, "/invite 成员 完全无关")
        answer = tg.last_message(ADMIN).text
        assert "未找到部门" in answer and "您是否要找" not in answer, answer
    finally:
        await office.sim.stop()
