"""QA through the fake Telegram: a mistyped department name gets a suggestion."""

from __future__ import annotations

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, open_office


async def test_mistyped_department_names_get_a_suggestion(sqlite_url: str, clock: FakeClock):
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
