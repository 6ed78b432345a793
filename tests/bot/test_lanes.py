"""Updates run concurrently across (chat, person) lanes and in order within one (issue 11 §1)."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.lanes import LaneProcessor, lane_of
from bot.watchdog import Watchdog
from services.clock import FakeClock
from sim.office import ADMIN, last_text
from sim.simulation import Simulation


def message(update_id: int, chat_id: int, user_id: int, text: str = "x") -> Update:
    chat_type = "private" if chat_id > 0 else "group"
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": chat_type, "title": "群"},
                "from": {"id": user_id, "is_bot": False, "first_name": "某"},
                "text": text,
            },
        },
        None,
    )


class Recorder:
    """Handlers that record when they start and end; some wait for a gate the test opens."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gates: dict[int, asyncio.Event] = {}

    async def handle(self, update: Update) -> None:
        self.log.append(f"start {update.update_id}")
        gate = self.gates.get(update.update_id)
        if gate is not None:
            await gate.wait()
        self.log.append(f"end {update.update_id}")


async def feed(processor: LaneProcessor, rec: Recorder, updates: list[Update]) -> list[Any]:
    """As PTB's fetcher does: one task per update, created in arrival order."""
    return [asyncio.create_task(processor.process_update(u, rec.handle(u))) for u in updates]


async def test_one_lane_waits_while_the_others_go_on_in_order():
    processor = LaneProcessor(max_running=8)
    await processor.initialize()
    rec = Recorder()
    rec.gates[1] = asyncio.Event()  # the stranger's first reply waits for pacing
    stranger = [message(i, 77, 77) for i in (1, 2, 3)]
    member = [message(4, 42, 42), message(5, 42, 42)]
    tasks = await feed(processor, rec, stranger + member)
    await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    # the member's two updates ran, in order; the stranger's 2 and 3 wait behind 1
    assert rec.log == ["start 1", "start 4", "end 4", "start 5", "end 5"]
    assert processor.lanes == 1
    rec.gates[1].set()
    await asyncio.gather(*tasks)
    assert rec.log[5:] == ["end 1", "start 2", "end 2", "start 3", "end 3"]
    assert processor.lanes == 0
    await processor.drained()


async def test_the_same_person_in_two_chats_and_two_people_in_one_group_are_separate_lanes():
    assert lane_of(message(1, -5, 42)) != lane_of(message(2, -5, 43))
    assert lane_of(message(1, -5, 42)) != lane_of(message(2, 42, 42))
    assert lane_of(message(1, -5, 42)) == lane_of(message(9, -5, 42))
    poll = Update.de_json(
        {
            "update_id": 3,
            "poll": {
                "id": "p",
                "question": "?",
                "options": [],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            },
        },
        None,
    )
    assert lane_of(poll) == ("poll", 0, 0)


async def test_in_flight_is_capped_and_a_full_lane_drops_the_rest():
    processor = LaneProcessor(max_running=2, lane_limit=3)
    await processor.initialize()
    rec = Recorder()
    for i in (1, 2, 3):
        rec.gates[i] = asyncio.Event()
    tasks = await feed(processor, rec, [message(i, 100 + i, 100 + i) for i in (1, 2, 3)])
    for _ in range(5):
        await asyncio.sleep(0)
    assert rec.log == ["start 1", "start 2"]  # the third lane waits for a free slot
    flood = [message(10 + i, 9, 9) for i in range(6)]
    rec.gates[10] = asyncio.Event()
    tasks += await feed(processor, rec, flood)
    for _ in range(5):
        await asyncio.sleep(0)
    assert processor.dropped == 3  # a lane holds 3
    for gate in rec.gates.values():
        gate.set()
    await asyncio.gather(*tasks)
    assert [e for e in rec.log if e.startswith("end 1") and e != "end 1"] == [
        "end 10",
        "end 11",
        "end 12",
    ]


async def test_a_long_update_is_watched_with_its_lane():
    now = [0.0]
    watchdog = Watchdog(clock=lambda: now[0])
    processor = LaneProcessor(watchdog=watchdog)
    await processor.initialize()
    rec = Recorder()
    rec.gates[5] = asyncio.Event()
    tasks = await feed(processor, rec, [message(5, 42, 42)])
    await asyncio.sleep(0)
    now[0] = 61
    assert [w.label for w in watchdog.check()] == ["update 5 (lane chat:42:42)"]
    rec.gates[5].set()
    await asyncio.gather(*tasks)


async def test_the_application_takes_updates_through_the_lanes(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    await sim.start()
    assert isinstance(sim.app.update_processor, LaneProcessor)
    coord = sim.tg.user(ADMIN, "王", "协调")
    stranger = sim.tg.user(5555, "路人")
    sim.tg.detach()
    await coord.send(ADMIN, "/start")
    await stranger.send(stranger.id, "你好")
    await coord.send(ADMIN, "/help")
    sim.tg.attach(sim.app)
    await sim.deliver_concurrently()
    mine = [m.text for m in sim.tg.bot_messages(ADMIN)]
    assert len(mine) == 2 and "/help" in last_text(sim, ADMIN)  # /start's answer, then /help's
    assert sim.tg.bot_messages(stranger.id)
    await sim.stop()
