"""Conversations do not overwrite each other (issue 11, defects 9 and 11).

A second conversation over one that holds typed answers asks first: 继续填写 / 稍后再填 /
放弃; one draft per kind is kept, so nothing typed is lost. At the photo step, typed 跳过 is
taken like at the place step. A message of a kind a step does not take (a file, a location) is
explained with the way forward, and a file outside any conversation is answered too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, GRID, BotOffice, open_office


async def resolved_case(office: BotOffice) -> None:
    """QS-2026-0001 (housing and the community) resolved: the grid worker is asked to verify."""
    sim = office.sim
    await office.whistle("私拉乱接电线", photos=0, location=None)
    await sim.tick()
    for uid, key in [(4002, "housing"), (4003, "community_qianshan")]:
        await office.actors[uid].press(office.groups[key], "报到")
        await sim.tick()
        await office.actors[uid].press(office.groups[key], "处置完成")
        await office.actors[uid].send(uid, "已拆除")
        await office.actors[uid].press(uid, "提交")
    await sim.tick()


async def whistle_to_photos(office: BotOffice) -> None:
    """A second whistle stopped at its 4th step (category, area and address given)."""
    grid = office.grid
    await grid.send(GRID, "吹哨")
    await grid.press(GRID, "易燃杂物堆放")
    await grid.press(GRID, "梨花苑小区")
    await grid.send(GRID, "5号楼楼道")
    assert "请发送现场照片" in office.last(GRID).text


async def finish_whistle(office: BotOffice) -> str:
    grid = office.grid
    await grid.press(GRID, "完成")
    await grid.send(GRID, "楼道堆放大量纸箱")
    await grid.press(GRID, "一般")
    return office.last(GRID).text


async def test_not_eliminated_asks_before_setting_a_whistle_aside(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    grid = office.grid
    await resolved_case(office)
    verify = office.tg.bot_messages(GRID)[-1]
    await whistle_to_photos(office)

    await grid.press(GRID, "未消除", message_id=verify.message_id)
    question = office.last(GRID)
    assert question.text.startswith("您有未完成的吹哨上报（第4步）。")
    assert question.button_labels == ["继续填写", "稍后再填", "放弃"]
    # 稍后再填: the reason now, the whistle waits with its answers
    await grid.press(GRID, "稍后再填")
    assert "未消除的原因" in office.last(GRID).text
    await grid.send(GRID, "电线仍在楼道内")
    assert "已重新派遣至" in office.last(GRID).text
    # a stray message points to the waiting draft
    await grid.send(GRID, "你好")
    stray = office.last(GRID)
    assert "您有未完成的吹哨上报（第4步）" in stray.text
    await grid.press(GRID, "继续吹哨上报")
    assert "请发送现场照片" in office.last(GRID).text
    review = await finish_whistle(office)
    assert "类别：易燃杂物堆放" in review and "地点：千山社区 · 梨花苑小区 5号楼楼道" in review
    await grid.press(GRID, "提交")
    assert "QS-2026-0002" in office.last(GRID).text
    await sim.stop()


async def test_keep_filling_or_give_up_the_whistle(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    grid = office.grid
    await resolved_case(office)
    verify = office.tg.bot_messages(GRID)[-1]
    assert verify.button_labels == ["已消除", "未消除"]
    await whistle_to_photos(office)
    # 继续填写: back to the whistle, nothing else started
    await grid.press(GRID, "未消除", message_id=verify.message_id)
    await grid.press(GRID, "继续填写")
    assert "请发送现场照片" in office.last(GRID).text
    await grid.send_photo(GRID)
    assert office.last(GRID).text.startswith("已收到第1张照片")
    # 放弃: the whistle is gone, the reason is asked
    await grid.press(GRID, "未消除", message_id=verify.message_id)
    await grid.press(GRID, "放弃")
    assert "未消除的原因" in office.last(GRID).text
    await grid.send(GRID, "电线仍在楼道内")
    assert "已重新派遣至" in office.last(GRID).text
    await grid.send(GRID, "吹哨")
    assert "请选择隐患类别" in office.last(GRID).text  # a fresh whistle, nothing to resume
    await sim.stop()


async def test_whistle_again_offers_the_unfinished_one(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    grid = office.grid
    await grid.send(GRID, "吹哨")
    await grid.press(GRID, "消防通道堵塞")
    await grid.press(GRID, "梨花苑小区")
    await grid.send(GRID, "/whistle")
    question = office.last(GRID)
    assert question.text.startswith("您有未完成的吹哨上报（第3步）。")
    assert question.button_labels == ["继续填写", "放弃"]
    await grid.press(GRID, "继续填写")
    assert "请发送详细地址" in office.last(GRID).text
    await grid.send(GRID, "/whistle")  # (typed 吹哨 would be the address: it is the answer)
    await grid.press(GRID, "放弃")
    assert "请选择隐患类别" in office.last(GRID).text
    # an untouched draft is simply started again, without a question
    await grid.send(GRID, "/whistle")
    assert "请选择隐患类别" in office.last(GRID).text
    await sim.stop()


async def test_a_report_does_not_discard_an_unfinished_note(sqlite_url: str):
    # Mid-month, so the housing office's November report is open for filling.
    clock = FakeClock(datetime(2026, 11, 16, 1, 0, tzinfo=UTC))
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    await office.whistle()
    await sim.tick()
    zhao, housing = office.actors[4002], office.groups["housing"]
    await zhao.press(housing, "报到")
    await sim.tick()
    await zhao.press(housing, "处置完成")
    await zhao.send(4002, "已联系物业清理通道")
    await zhao.send(4002, "/report housing_monthly")
    question = office.last(4002)
    assert question.text.startswith("您有未完成的填写处置情况（QS-2026-0001）。")
    await zhao.press(4002, "稍后再填")
    assert "住建办" in office.last(4002).text and "第1/" in office.last(4002).text
    # the note waited: its 提交 still submits what was typed
    note = next(m for m in reversed(office.tg.bot_messages(4002)) if "已记录处置说明" in m.text)
    await zhao.press(4002, "提交", message_id=note.message_id)
    assert "处置情况已提交" in office.last(4002).text
    await sim.tick()
    await zhao.send(4002, "/case QS-2026-0001")
    assert "住建办 处置完成：已联系物业清理通道" in office.last(4002).text
    await sim.stop()


async def test_typed_skip_at_the_photo_step(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    grid = office.grid
    await grid.send(GRID, "吹哨")
    await grid.press(GRID, "消防通道堵塞")
    await grid.press(GRID, "梨花苑小区")
    await grid.send(GRID, "跳过")  # at the place step: no address, not the address "跳过"
    assert "请发送现场照片" in office.last(GRID).text
    await grid.send(GRID, "跳过")
    assert "请用一两句话描述隐患情况" in office.last(GRID).text
    await grid.send(GRID, "消防通道被占")
    await grid.press(GRID, "紧急")
    review = office.last(GRID).text
    assert "照片：无" in review and "跳过" not in review
    await office.coord.send(ADMIN, "/help")  # the coordinator is unaffected
    await sim.stop()


async def test_a_file_is_answered_outside_a_conversation_and_explained_inside_the_whistle(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, grid = office.tg, office.grid
        # no conversation: a file is not ignored
        before = tg.count_messages(GRID)
        await grid.send_document(GRID, "报告.pdf", mime_type="application/pdf")
        assert tg.count_messages(GRID) == before + 2
        assert "发送 /help" in tg.last_message(GRID).text

        # in the whistle, a photo sent "as file" is explained, with the way forward
        await grid.send(GRID, "吹哨")
        await grid.press(GRID, "消防通道堵塞")
        await grid.press(GRID, "梨花苑小区")
        await grid.send(GRID, "3号楼东侧")
        await grid.send_document(GRID, "IMG_0001.jpg", mime_type="image/jpeg")
        answer = tg.last_message(GRID).text
        assert "照片" in answer and "文件" in answer and "/cancel" in answer, answer
        await grid.send_photo(GRID)
        assert "已收到第1张照片" in tg.last_message(GRID).text
    finally:
        await office.sim.stop()


async def test_a_location_or_a_file_in_a_case_note_is_explained(sqlite_url: str, clock: FakeClock):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg = office.tg
        await office.whistle()
        await office.sim.tick()
        housing, group = office.actors[4002], office.groups["housing"]
        await housing.press(group, "报到")
        await office.sim.tick()
        await housing.press(group, "处置完成")
        await housing.send_location(4002, 41.0, 123.0)
        answer = tg.last_message(4002).text
        assert answer.startswith("填写处置情况：此步不接收位置。"), answer
        assert "/cancel" in answer
        await housing.send_document(4002, "处置记录.docx", mime_type="application/msword")
        assert "此步不接收文件" in tg.last_message(4002).text
    finally:
        await office.sim.stop()
