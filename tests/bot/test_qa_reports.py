"""QA through the fake Telegram: an optional (选报) report nobody sent is not shown as overdue."""

from __future__ import annotations

from datetime import timedelta

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, GRID, open_office


async def test_missed_optional_report_is_not_marked_overdue(sqlite_url: str, clock: FakeClock):
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


async def test_viewer_does_not_mark_a_missed_optional_report_overdue(
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


async def test_typing_at_an_empty_list_names_the_button_on_screen(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, member = office.tg, office.actors[4002]
        office.sim.clock.advance(timedelta(days=1))  # 1 December: the December report is open
        await member.send(4002, "/report")
        await member.press(4002, "住建办物业消防工作情况（12月）")
        assert "添加会议" in [b.label for row in tg.last_message(4002).buttons for b in row]
        await member.send(4002, "12月1日")
        answer = tg.last_message(4002)
        labels = [b.label for row in answer.buttons for b in row]
        assert answer.text.startswith("❗请点击“添加会议”或“完成”。"), answer.text
        assert "再加一条" not in answer.text.split("\n")[0] and "再加一条" not in labels
    finally:
        await office.sim.stop()


async def test_months_are_understood_as_people_write_them(sqlite_url: str, clock: FakeClock):
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
