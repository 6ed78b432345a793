"""QA through the fake Telegram: every free message in a private chat gets an answer."""

from __future__ import annotations

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import GRID, open_office


async def test_a_file_gets_an_answer_inside_and_outside_a_conversation(
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


async def test_wrong_kind_of_message_in_a_case_note_is_explained(sqlite_url: str, clock: FakeClock):
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
