"""The status board, chasing reminders, the late list, and the coordinator's viewer."""

from __future__ import annotations

from models.period import MonthPeriod
from models.reports import BoardState
from services.clock import FakeClock
from services.forms import coordinators
from services.forms.deadlines import config_of
from sim.office import ADMIN, last_text
from sim.simulation import FAST_HANDS, Simulation
from tests.bot.reports.filler import fill
from tests.bot.reports.helpers import bind, clock_at, member, shanghai
from tests.cases.botoffice import GRID, open_office


async def office(sqlite_url: str):
    sim = Simulation(
        database_url=sqlite_url, clock=clock_at(2026, 11, 16), admins=(ADMIN,), flood=FAST_HANDS
    )
    sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    zhang = await member(sim, 2001, "张社区", "community_qianshan")
    li = await member(sim, 2002, "李社区", "community_lihua")
    return sim, zhang, li


async def submit_community(sim: Simulation, actor) -> None:
    form = sim.rt.forms.form("community_duties")
    assert form is not None
    await actor.send(actor.id, "/report community_duties")
    await fill(sim, actor, form)
    await actor.press(actor.id, "提交")
    assert "已收到，谢谢" in last_text(sim, actor.id)


def texts(sim: Simulation, chat_id: int, marker: str) -> list[str]:
    return [m.text for m in sim.tg.chat_view(chat_id) if marker in m.text]


async def test_status_board_shows_exactly_the_states(sqlite_url):
    sim, zhang, li = await office(sqlite_url)
    coord = sim.tg.actor(ADMIN)
    await submit_community(sim, zhang)
    await li.send(li.id, "/report community_duties")
    await li.press(li.id, "完成")  # one answer: a draft

    await coord.send(ADMIN, "/status")
    board = last_text(sim, ADMIN)
    assert board.startswith(
        "2026年11月月报报送情况（截至11月16日 09:00）\n截止日期：2026年11月25日（周三）"
    )
    assert (
        "千山社区\n· 社区工作制度履行情况：✅ 已提交 11月16日 09:00 张社区\n"
        "· 亮点和先进经验（选报）：⬜ 未填报"
    ) in board
    assert "梨花社区\n· 社区工作制度履行情况：📝 填写中（已填1/7题）" in board
    assert "汤岗子社区\n· 社区工作制度履行情况：⬜ 未填报" in board
    assert "三级办\n· 联合执法情况：⬜ 未填报" in board
    assert "领导小组" not in board
    assert board.endswith(
        "合计：应报8份，已提交1份，逾期提交0份，填写中1份，未填报6份，逾期未交0份。"
    )

    sim.clock.set(shanghai(2026, 11, 27, 10))
    await coord.send(ADMIN, "/status 2026-11")
    board = last_text(sim, ADMIN)
    assert "梨花社区\n· 社区工作制度履行情况：❌ 逾期未交（已填1/7题）" in board
    assert "汤岗子社区\n· 社区工作制度履行情况：❌ 逾期未交" in board
    assert "千山社区\n· 社区工作制度履行情况：✅ 已提交 11月16日 09:00 张社区" in board
    assert board.endswith(
        "合计：应报8份，已提交1份，逾期提交0份，填写中0份，未填报0份，逾期未交7份。"
    )
    async with sim.rt.transaction() as s:
        cells = await coordinators.board(
            s, config_of(sim.rt), MonthPeriod(2026, 11), sim.clock.now()
        )
    states = {(c.department_key, c.form_key): c.state for c in cells if c.required}
    assert states[("community_qianshan", "community_duties")] is BoardState.SUBMITTED
    assert states[("community_lihua", "community_duties")] is BoardState.LATE
    assert list(states.values()).count(BoardState.LATE) == 7

    await zhang.send(zhang.id, "/status")
    assert "仅限协调员" in last_text(sim, zhang.id)
    await coord.send(ADMIN, "/status 2026-13")
    assert "月份有误" in last_text(sim, ADMIN)
    await sim.stop()


async def test_reminders_before_the_deadline_and_the_late_list_after(sqlite_url):
    sim, zhang, li = await office(sqlite_url)
    coord = sim.tg.actor(ADMIN)
    qianshan = await bind(sim, "千山社区工作群", "community_qianshan")
    lihua = await bind(sim, "梨花社区工作群", "community_lihua")
    await submit_community(sim, zhang)

    sim.clock.set(shanghai(2026, 11, 19, 23))
    await sim.tick()
    assert texts(sim, lihua, "【月报提醒】") == []
    sim.clock.set(shanghai(2026, 11, 20, 9))  # three workdays before Wednesday the 25th
    await sim.tick()
    reminder = texts(sim, lihua, "【月报提醒】")
    assert reminder == [
        "【月报提醒】梨花社区：2026年11月《社区工作制度履行情况》尚未提交，"
        "截止时间为2026年11月25日（周三）。请部门成员点击下方按钮，或私聊本机器人发送 /report 填写。"
    ]
    assert texts(sim, qianshan, "【月报提醒】") == []  # submitted: not chased
    # 汤岗子社区 has no group: its reminder is forwarded to the coordinators.
    assert any("汤岗子社区" in t for t in texts(sim, ADMIN, "【月报提醒】"))
    await sim.tick()
    await sim.restart()
    await sim.tick()
    assert len(texts(sim, lihua, "【月报提醒】")) == 1

    # The button under the reminder opens the form in the presser's private chat.
    answer = await coord.press(lihua, "填写报表")
    assert answer is not None and answer.show_alert
    assert answer.text == "《社区工作制度履行情况》不由三级办填报。"
    answer = await li.press(lihua, "填写报表")
    assert answer is not None and "私聊中打开报表" in answer.text
    assert "开始填写2026年11月《社区工作制度履行情况》" in last_text(sim, li.id)

    sim.clock.set(shanghai(2026, 11, 25, 9))
    await sim.tick()
    on_the_day = texts(sim, lihua, "【月报提醒】")
    assert len(on_the_day) == 2 and "截止时间为今天（2026年11月25日（周三））" in on_the_day[1]

    sim.clock.set(shanghai(2026, 11, 26, 0, 5))
    await sim.tick()
    late = texts(sim, ADMIN, "【月报逾期】")
    assert len(late) == 1
    assert late[0].startswith(
        "【月报逾期】2026年11月月报已于2026年11月25日（周三）截止，以下部门尚未提交："
    )
    assert "· 《社区工作制度履行情况》：梨花社区、汤岗子社区" in late[0]
    assert "· 《公安分局消防工作情况》：公安分局" in late[0]
    assert "千山社区" not in late[0]
    await sim.tick()
    await sim.restart()
    await sim.tick()
    assert len(texts(sim, ADMIN, "【月报逾期】")) == 1
    assert len(texts(sim, lihua, "【月报提醒】")) == 2  # no reminders after the deadline
    await sim.stop()


async def test_coordinator_views_a_submission_with_its_photos(sqlite_url):
    sim, zhang, _ = await office(sqlite_url)
    coord = sim.tg.actor(ADMIN)
    await submit_community(sim, zhang)
    before = len(sim.tg.chat_view(ADMIN))
    await coord.send(ADMIN, "/reports 千山社区 2026-11")
    shown = sim.tg.chat_view(ADMIN)[before + 1 :]
    page = shown[0].text
    assert page.startswith(
        "千山社区 · 2026年11月《社区工作制度履行情况》\n✅ 已提交：2026年11月16日 09:00，提交人：张社区"
    )
    assert "3. 本月消防检查次数：" in page and "7. 消防检查现场照片：2张照片" in page
    assert [m.photo is not None for m in shown[1:3]] == [True, True]
    assert shown[3].text == "千山社区 · 2026年11月《亮点和先进经验》\n⬜ 未填报"

    await zhang.send(zhang.id, "/reports 千山社区")
    assert "仅限" in last_text(sim, zhang.id)
    await coord.send(ADMIN, "/reports 不存在的部门")
    assert "未找到部门“不存在的部门”" in last_text(sim, ADMIN)
    await sim.stop()


async def test_a_missed_optional_report_is_not_shown_overdue_on_the_board_or_the_menu(
    sqlite_url: str, clock: FakeClock
):
    # Monday 30 November: the November deadline has passed, nothing was submitted
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg = office.tg
        await office.coord.send(ADMIN, "/status 2026-11")
        board = "\n".join(m.text for m in tg.chat_view(ADMIN)[-2:])
        optional = [line for line in board.splitlines() if "（选报）" in line]
        required = [line for line in board.splitlines() if "社区工作制度履行情况" in line]
        assert optional and required, board
        assert all("❌" not in line and "未报送" in line for line in optional), board
        assert all("❌ 逾期未交" in line for line in required), board

        await office.grid.send(GRID, "/report")
        menu = tg.last_message(GRID).text
        line = next(x for x in menu.splitlines() if "亮点和先进经验" in x)
        assert "❌" not in line and "未报送" in line, menu
    finally:
        await office.sim.stop()


async def test_the_viewer_does_not_show_a_missed_optional_report_overdue(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        await office.coord.send(ADMIN, "/reports housing 2026-11")
        texts = [m.text for m in office.tg.chat_view(ADMIN)[-3:]]
        optional = next(t for t in texts if "亮点和先进经验" in t)
        assert "❌" not in optional and "未报送" in optional, texts
    finally:
        await office.sim.stop()


async def test_board_and_viewer_understand_months_as_people_write_them(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, coord = office.tg, office.coord
        for command, month in [
            ("/status 2026年11月", "2026年11月月报报送情况"),
            ("/status 2026/10", "2026年10月月报报送情况"),
            ("/status 本月", "2026年11月月报报送情况"),
            ("/status 上月", "2026年10月月报报送情况"),
            ("/reports housing 上月", "2026年10月"),
        ]:
            await coord.send(ADMIN, command)
            texts = [m.text for m in tg.chat_view(ADMIN)[-3:] if m.from_bot]
            assert any(month in t for t in texts), (command, texts)
            assert not any(t.startswith("用法") or "未找到部门" in t for t in texts), texts
    finally:
        await office.sim.stop()
