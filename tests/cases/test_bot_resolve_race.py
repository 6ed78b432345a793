"""Two members of one department write the 处置 note at once: the second is told, and keeps
their text."""

from __future__ import annotations

from services.clock import FakeClock
from services.dialogs import get_dialog
from sim.simulation import Simulation
from tests.cases.botoffice import open_office


async def test_second_note_is_refused_with_its_text_given_back(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    office = await open_office(sim)
    tg = sim.tg
    await office.whistle("私拉乱接电线", photos=0, location=None)
    await sim.tick()
    housing = office.groups["housing"]
    zhao, qian = office.actors[4002], office.actors[4012]
    await zhao.press(housing, "报到")
    await sim.tick()
    await zhao.press(housing, "处置完成")
    await qian.press(housing, "处置完成")
    await zhao.send(4002, "已拆除私拉电线")
    await qian.send(4012, "已通知物业 <检查> & 整改")
    await zhao.press(4002, "提交")
    assert "处置情况已提交" in tg.last_message(4002).text
    answer = await qian.press(4012, "提交")
    assert answer is not None and "已提交过" in answer.text
    told = tg.last_message(4012).text
    assert "您填写的说明未提交" in told and "已通知物业 <检查> & 整改" in told
    async with sim.rt.transaction() as s:
        assert await get_dialog(s, 4012, 4012) is None
    await sim.stop()
