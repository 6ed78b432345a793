"""QA through the fake Telegram: typed text quoted back in a refusal arrives escaped and intact."""

from __future__ import annotations

from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import ADMIN, open_office

TYPED = "<b>x&y"
IN_PRIVATE = [
    f"/invite 成员 {TYPED}",
    f"/invite {TYPED} housing",
    f"/invite 网格员 {TYPED}",
    f"/reports {TYPED}",
    f"/reports housing {TYPED}",
    f"/unlock housing {TYPED}",
    f"/remind_now {TYPED}",
    f"/remind_now joint_meeting {TYPED}",
    f"/reminder_pause {TYPED}",
    f"/report {TYPED}",
    f"/case {TYPED}",
    f"/case_add QS-2026-0001 {TYPED}",
]


async def test_refusals_quote_typed_text_intact(sqlite_url: str, clock: FakeClock):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, coord = office.tg, office.coord
        await office.whistle()
        await office.sim.tick()
        group = tg.create_group("新群", supergroup=True)
        for chat, command in [(ADMIN, c) for c in IN_PRIVATE] + [(group, f"/bind {TYPED}")]:
            await coord.send(chat, command)
            answer = tg.last_message(chat)
            assert answer.from_bot, command
            assert "系统处理该请求时出现问题" not in answer.text, command
            assert TYPED in answer.text, (command, answer.text)
    finally:
        await office.sim.stop()
