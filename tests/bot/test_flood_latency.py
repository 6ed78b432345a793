"""A stranger's flood holds up nobody (issue 11 §1), measured in virtual time.

Reduced from bench/flood.py: a stranger sends 60 messages in private and 40 × /open in a bound
group while a member asks /help and a grid worker submits a whistle. Replies and deliveries are
paced to Telegram's limits by a FakePacing (virtual seconds, as in production), updates go
through the Application's update processor as polling hands them over. Before this change the
member waited behind every reply to the stranger (~66 s here, 219 s live with 200 messages).

FakePacing adds up the sleeps of concurrent tasks, so every virtual latency here is an upper
bound of what the same run would take in real time.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.ratelimit import FakePacing, Limits
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.cases.botoffice import GRID, BotOffice, open_office

MEMBER = 4002  # 住建办
PRIVATE_INTERVAL = 1 / Limits().private[1]  # the pacing of one private chat, 1.1 s


def answered_at(office: BotOffice, chat_id: int, marker: str) -> datetime:
    found = [m.sent_at for m in office.tg.bot_messages(chat_id) if marker in m.text]
    assert found, office.tg.transcript(chat_id)
    return found[-1]


async def help_latency(office: BotOffice, queued_before: list[tuple[int, int, str]]) -> float:
    """Virtual seconds from the moment the updates are handed over until /help is answered."""
    sim, tg = office.sim, office.tg
    tg.detach()
    for user_id, chat_id, text in queued_before:
        await tg.actor(user_id).send(chat_id, text)
    await tg.actor(MEMBER).send(MEMBER, "/help")
    tg.attach(sim.app)
    start = sim.clock.now()
    await sim.deliver_concurrently()
    return (answered_at(office, MEMBER, "/whoami") - start).total_seconds()


async def test_a_flood_delays_neither_a_members_help_nor_a_whistles_cards(
    sqlite_url: str, clock: FakeClock
):
    pacing = FakePacing(wall=clock, budget=3600)
    sim = Simulation(database_url=sqlite_url, clock=clock, pacing=pacing)
    office = await open_office(sim)
    tg = sim.tg
    housing = office.groups["housing"]
    unloaded = await help_latency(office, [])

    stranger = tg.user(6100, "路人")
    await office.whistle(submit=False)  # at the last step, 提交 during the flood
    flood = [(stranger.id, stranger.id, "你好")] * 60 + [(stranger.id, housing, "/open")] * 40
    submitted = asyncio.create_task(office.grid.press(GRID, "提交"))
    loaded = await help_latency(office, flood)
    await submitted
    assert loaded <= 2 * max(unloaded, PRIVATE_INTERVAL), (loaded, unloaded)
    answers = tg.bot_messages(stranger.id) + [
        m for m in tg.bot_messages(housing) if "尚未登记" in m.text
    ]
    assert len(answers) == 1  # one polite answer, in whichever chat came first; the rest ignored

    # the whistle reaches every department group within one tick plus pacing
    before = sim.clock.now()
    await sim.tick()
    for key in ("police_station_qianshan", "housing", "community_qianshan"):
        assert any("消防隐患 QS-" in m.text for m in tg.bot_messages(office.groups[key])), key
    pacing_of_tick = (sim.clock.now() - before).total_seconds()
    assert pacing_of_tick <= 2.0, pacing_of_tick  # a few cards at 30/s; no group bucket full
    await sim.stop()
