"""The whole loop through the real Application on the fake Telegram (SQLite, fake clock)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.cases import Case, CaseDepartment, CaseEvent
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, GRID, BotOffice, open_office


async def snapshot(office: BotOffice) -> tuple:
    """Everything a refused press must leave alone."""
    async with office.sim.rt.transaction() as s:
        cases = [(c.id, c.status, c.reopen_count) for c in await s.scalars(select(Case))]
        depts = [
            (r.id, r.status, r.acked_at, r.step, r.next_ping_at)
            for r in await s.scalars(select(CaseDepartment).order_by(CaseDepartment.id))
        ]
        events = await s.scalar(select(func.count()).select_from(CaseEvent))
    return cases, depts, events


async def test_full_loop_from_whistle_to_closure(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    answer = await office.whistle()
    assert "案件编号 QS-2026-0001" in answer and "千山派出所、住建办、千山社区" in answer
    await sim.tick()
    housing = office.groups["housing"]
    shown = tg.bot_messages(housing)
    card = office.card("housing")
    assert card.text.startswith("【紧急】消防隐患 QS-2026-0001")
    assert "类别：消防通道堵塞" in card.text
    assert "地点：千山社区 · 梨花苑小区 3号楼东侧（位置见地图）" in card.text
    assert "上报：网格员 李某（千山社区） 11月30日 09:00" in card.text
    assert "描述：消防通道被三辆货车堵塞，已持续一天。" in card.text
    assert "责任部门：千山派出所 ⏳ 待报到 · 住建办 ⏳ 待报到 · 千山社区 ⏳ 待报到" in card.text
    assert card.button_labels == ["报到"]
    photos = [m for m in shown if m.photo is not None]
    assert len(photos) == 2 and all(p.reply_to == card.message_id for p in photos)
    assert photos[0].media_group_id is not None
    pins = [m for m in shown if m.location is not None]
    assert len(pins) == 1 and pins[0].location == (41.1, 123.0)
    assert pins[0].reply_to == card.message_id

    # 报到: housing at 09:05 (a colleague's second press records nothing), the others later
    clock.advance(minutes=5)
    zhao, qian = office.actors[4002], office.actors[4012]
    first = await zhao.press(housing, "报到")
    assert first is not None and "住建办已报到" in first.text
    second = await qian.press(housing, "报到", message_id=card.message_id)
    assert second is not None and "已由赵某于11月30日 09:05报到" in second.text
    await sim.tick()
    card = office.card("housing")
    assert "住建办 ✅ 09:05 已报到" in card.text
    assert card.button_labels == ["到场打卡", "处置完成"]
    assert "住建办 ✅ 09:05 已报到" in office.card("community_qianshan").text
    await office.actors[4001].press(office.groups["police_station_qianshan"], "报到")
    await office.actors[4003].press(office.groups["community_qianshan"], "报到")
    await sim.tick()

    # 处置完成 in the group opens the note in the private chat
    for uid, key, note in [
        (4002, "housing", "已联系物业清理通道"),
        (4001, "police_station_qianshan", "已责令车主挪车"),
        (4003, "community_qianshan", "已张贴告知书"),
    ]:
        actor = office.actors[uid]
        popup = await actor.press(office.groups[key], "处置完成")
        assert popup is not None and "私聊" in popup.text
        assert "的处置情况" in tg.last_message(uid).text
        await actor.send(uid, note)
        if key == "housing":
            await actor.send_photo(uid)
        await actor.press(uid, "提交")
        assert "处置情况已提交" in tg.last_message(uid).text
    await sim.tick()
    ask = tg.last_message(GRID)
    assert "【请核查】您上报的隐患 QS-2026-0001" in ask.text and "已联系物业清理通道" in ask.text
    assert ask.button_labels == ["已消除", "未消除"]
    assert any(m.photo is not None for m in tg.bot_messages(GRID))  # the resolution photo

    before = await snapshot(office)
    await office.grid.press(GRID, "已消除")
    assert "已结案" in tg.last_message(GRID).text
    assert await snapshot(office) != before
    await sim.tick()
    final = office.card("housing")
    assert "状态：已结案（11月30日 09:05）" in final.text and final.button_labels == []
    assert "经核查隐患已消除，本案已结案" in tg.last_message(housing).text

    await office.grid.send(GRID, "/case QS-2026-0001")
    timeline = tg.last_message(GRID).text
    for expected in (
        "吹哨上报",
        "住建办 报到",
        "住建办 处置完成：已联系物业清理通道",
        "核查：隐患已消除",
        "结案",
    ):
        assert expected in timeline, timeline
    await office.grid.send(GRID, "/mycases")
    assert (
        "QS-2026-0001【紧急】消防通道堵塞 · 千山社区 · 梨花苑小区 · 已结案"
        in tg.last_message(GRID).text
    )
    tg.check()
    await sim.stop()


async def test_reopen_after_not_eliminated_restarts_the_ladder(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    await office.whistle("私拉乱接电线", photos=0, location=None)  # housing, community
    await sim.tick()
    for uid, key in [(4002, "housing"), (4003, "community_qianshan")]:
        await office.actors[uid].press(office.groups[key], "报到")
        await sim.tick()  # the card's edit (报到 → 处置完成) goes out through the outbox
        await office.actors[uid].press(office.groups[key], "处置完成")
        await office.actors[uid].send(uid, "已拆除")
        await office.actors[uid].press(uid, "提交")
    await sim.tick()
    clock.advance(hours=1)
    await office.grid.press(GRID, "未消除")
    assert "未消除的原因" in tg.last_message(GRID).text
    await office.grid.send(GRID, "电线仍在楼道内")
    assert "已重新派遣至：住建办、千山社区" in tg.last_message(GRID).text
    await sim.tick()
    housing = office.groups["housing"]
    notice = tg.last_message(housing)
    assert "【核查未通过】" in notice.text and "电线仍在楼道内" in notice.text
    assert notice.button_labels == ["报到"]
    card = office.card("housing")
    assert "住建办 ⏳ 待报到" in card.text and "核查未通过，已重新派遣（第1次）" in card.text
    # the ladder starts again from the reopen: first ping 10 minutes later
    await sim.advance(timedelta(minutes=10), step=timedelta(minutes=5))
    pings = [m for m in tg.bot_messages(housing) if "【催办】" in m.text]
    assert len(pings) == 1 and "已派遣10分钟" in pings[0].text
    assert pings[0].reply_to == card.message_id
    await sim.stop()


async def test_unroutable_case_is_triaged_by_a_coordinator(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    answer = await office.whistle("其他", photos=1)
    assert "已转协调员分派" in answer
    await sim.tick()
    ask = [m for m in tg.bot_messages(ADMIN) if m.text.startswith("【待分派】")][-1]
    assert "消防大队" in ask.button_labels and "三级办" not in ask.button_labels
    before = await snapshot(office)
    denied = await office.grid.press_data(GRID, tg.last_message(GRID).message_id, "c:tri:1:4")
    assert denied is not None and "仅限协调员" in denied.text
    assert await snapshot(office) == before
    picked = await office.coord.press(ADMIN, "消防大队", message_id=ask.message_id)
    assert picked is not None and "已派遣至消防大队" in picked.text
    assert "✅ 消防大队" in tg.message(ADMIN, ask.message_id).button_labels
    again = await office.coord.press(ADMIN, "✅ 消防大队", message_id=ask.message_id)
    assert again is not None and "已在派遣名单中" in again.text
    await sim.tick()
    card = office.card("fire_brigade")
    assert "QS-2026-0001" in card.text and card.button_labels == ["报到"]
    assert any(m.photo is not None for m in tg.bot_messages(office.groups["fire_brigade"]))
    await sim.stop()


async def test_duplicate_hint_supplement_or_new(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    await office.whistle()
    await sim.tick()
    clock.advance(hours=2)
    hint = await office.whistle(description="又堵上了", photos=1, submit=False)
    assert "24小时内已有同类隐患正在办理" in hint and "QS-2026-0001" in hint
    await office.grid.press(GRID, "补充到该案件")
    assert "已将情况补充到案件 QS-2026-0001" in tg.last_message(GRID).text
    await sim.tick()
    housing = office.groups["housing"]
    texts = office.bot_texts(housing)
    assert any("【补充】QS-2026-0001" in t and "又堵上了" in t for t in texts)
    assert sum(1 for m in tg.bot_messages(housing) if m.photo is not None) == 3
    # 仍然新建 goes on to the review card and a second case
    await office.whistle(description="另一处通道堵塞", photos=0, submit=False)
    await office.grid.press(GRID, "仍然新建")
    assert "请核对上报内容" in tg.last_message(GRID).text
    await office.grid.press(GRID, "提交")
    assert "QS-2026-0002" in tg.last_message(GRID).text
    # after 24 hours there is no hint
    clock.advance(hours=25)
    answer = await office.whistle(description="第三次", photos=0)
    assert "QS-2026-0003" in answer
    await sim.stop()


async def test_restart_in_the_middle_of_the_conversation_resumes_it(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    grid = office.grid
    await grid.send(GRID, "/whistle")
    await grid.press(GRID, "易燃杂物堆放")
    await grid.press(GRID, "梨花苑小区")
    await sim.restart()
    await grid.send(GRID, "5号楼楼道")
    assert "请发送现场照片" in tg.last_message(GRID).text
    await grid.send_photo(GRID)
    await sim.restart()
    await grid.press(GRID, "完成")
    await grid.send(GRID, "楼道堆放大量纸箱")
    await grid.press(GRID, "一般")
    review = tg.last_message(GRID).text
    assert "类别：易燃杂物堆放" in review and "地点：千山社区 · 梨花苑小区 5号楼楼道" in review
    assert "照片：1张" in review and "紧急程度：一般" in review
    # 修改 the description, then back to the review
    await grid.press(GRID, "修改")
    await grid.press(GRID, "描述")
    await grid.send(GRID, "楼道堆放大量纸箱和旧家具")
    assert "描述：楼道堆放大量纸箱和旧家具" in tg.last_message(GRID).text
    await grid.press(GRID, "提交")
    assert "QS-2026-0001" in tg.last_message(GRID).text
    await sim.tick()
    assert office.card("community_qianshan").text.startswith("【一般】消防隐患 QS-2026-0001")
    # 取消 at any step leaves no case behind
    await grid.send(GRID, "隐患")
    await grid.press(GRID, "取消")
    assert "已取消吹哨上报" in tg.last_message(GRID).text
    await grid.send(GRID, "吹哨")
    await grid.press(GRID, "消防通道堵塞")
    await grid.send(GRID, "取消")
    assert "已取消吹哨上报" in tg.last_message(GRID).text
    async with sim.rt.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Case)) == 1
    # an old button from the finished conversation is refused
    stale = await grid.press_data(GRID, tg.last_message(GRID).message_id, "wh:sub")
    assert stale is not None and "已结束" in stale.text
    await sim.stop()


async def test_foreign_presses_and_forged_data_change_nothing(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    await office.whistle()
    await sim.tick()
    housing = office.groups["housing"]
    card = office.card("housing")
    before = await snapshot(office)
    # a fire-brigade member, the grid worker and the coordinator press 住建办's 报到
    for uid in (4004, GRID, ADMIN):
        answer = await office.actors[uid].press(housing, "报到", message_id=card.message_id)
        assert answer is not None and answer.show_alert
        if uid == GRID:  # grid workers whistle and verify (issue 11, defect 10)
            assert answer.text.startswith("报到由责任部门的部门成员或负责人操作")
        else:
            assert "该按钮仅限住建办成员操作" in answer.text and "邀请链接" in answer.text
    stranger = tg.user(9001, "路人")
    answer = await stranger.press(housing, "报到", message_id=card.message_id)
    assert answer is not None and "尚未登记" in answer.text
    housing_id = int(card.button("报到").value.split(":")[3])
    fire_id = int(office.card("police_station_qianshan").button("报到").value.split(":")[3])
    forged = [
        f"c:ack:1:{fire_id + 100}",  # a department that does not exist
        "c:ack:999:" + str(housing_id),  # a case that does not exist
        "c:ack:1",
        "c:ack:x:y",
        "c:res:1:" + str(housing_id),  # 处置完成 before 报到
        "c:vok:1",  # verify by a non-reporter
        "c:tri:1:" + str(housing_id),  # triage by a non-coordinator
        "c:zzz",
        "c:rsub",
        "wh:sub",
    ]
    member = office.actors[4002]
    for data in forged:
        answer = await member.press_data(housing, card.message_id, data)
        assert answer is not None and answer.text, data
    assert await snapshot(office) == before
    # the dispatch card is untouched
    assert office.card("housing").text == card.text
    await sim.stop()


async def test_coordinator_commands_and_odd_arguments(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    coord = office.coord
    await office.whistle("私拉乱接电线", photos=0, location=None)  # 住建办, 千山社区
    await sim.tick()

    async def say(text: str) -> str:
        await coord.send(ADMIN, text)
        return tg.last_message(ADMIN).text

    assert "不是有效的案件编号" in await say("/case <b>x</b>")
    assert "未找到部门“<i>y</i>”" in await say("/case_add QS-2026-0001 <i>y</i>")
    assert "当前责任部门：住建办、千山社区、消防大队" in await say("/case_add qs-2026-1 消防大队")
    assert "当前责任部门：住建办、千山社区" in await say("/case_remove QS-2026-0001 fire_brigade")
    assert "当前责任部门：住建办、千山派出所" in await say(
        "/case_reassign QS-2026-0001 千山社区 千山派出所"
    )
    assert "用法" in await say("/case_close QS-2026-0001")
    assert "已结案" in await say("/case_close QS-2026-0001 经现场核实为误报")
    await sim.tick()
    fire = office.groups["fire_brigade"]
    assert "不再由消防大队负责" in tg.last_message(fire).text
    assert office.card("fire_brigade").button_labels == []
    assert "协调员已将 QS-2026-0001 结案" in tg.last_message(office.groups["housing"]).text
    assert "已由协调员结案" in tg.last_message(GRID).text
    # a member may not use coordinator commands; /open only in a bound group
    member = office.actors[4002]
    await member.send(4002, "/case_close QS-2026-0001 x")
    assert "仅限协调员" in tg.last_message(4002).text
    await member.send(office.groups["housing"], "/open")
    assert "住建办当前没有在办案件" in tg.last_message(office.groups["housing"]).text
    await member.send(4002, "/case QS-2026-0001")
    assert "结案：经现场核实为误报" in tg.last_message(4002).text
    await office.actors[4004].send(4004, "/case QS-2026-0001")  # 消防大队 was on it once
    assert "QS-2026-0001" in tg.last_message(4004).text
    tg.check()
    await sim.stop()


async def test_case_status_line_gives_the_wait_while_open_and_the_closing_time_once_closed(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, coord = office.tg, office.coord
        await office.whistle()
        await coord.send(ADMIN, "/case QS-2026-0001")
        status = next(x for x in tg.last_message(ADMIN).text.splitlines() if x.startswith("状态"))
        assert status == "状态：待报到（不足1分钟）", status

        await coord.send(ADMIN, "/case_close QS-2026-0001 误报")
        # Two days later (one jump and a tick: nothing of a closed case is due in between)
        office.sim.clock.advance(timedelta(days=2))
        await office.sim.tick()
        await coord.send(ADMIN, "/case QS-2026-0001")
        status = next(x for x in tg.last_message(ADMIN).text.splitlines() if x.startswith("状态"))
        # when it was closed, not how long ago it was reported
        assert status == "状态：已结案（11月30日 09:00）", status
    finally:
        await office.sim.stop()
