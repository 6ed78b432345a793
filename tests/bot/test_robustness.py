"""Every command, from every kind of person, in every kind of chat, with odd arguments, and
forged button data: each gets an answer, nothing crashes, nothing is shown that should not be."""

from __future__ import annotations

from datetime import timedelta

from services.clock import FakeClock
from sim.office import ADMIN, invite_code
from sim.simulation import FAST_HANDS, Simulation
from tests.cases.botoffice import open_office

SORRY = "系统处理该请求时出现问题"
ODD_ARGS = ["", " 垃圾 <b>x</b> &amp; 999999999999 -1 2026-13 ../..", "字" * 3000]


async def test_every_command_answers_everyone_without_crashing(sqlite_url: str, clock: FakeClock):
    # everyone types hundreds of commands in frozen time; a stranger is answered once per
    # 5 minutes (services/flood.py), so each of their tries comes 5 minutes later
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,), flood=FAST_HANDS)
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "协调员")
    group = tg.create_group("住建办工作群")
    stray_group = tg.create_group("未绑定的群")
    await coord.send(group, "/bind housing")
    people = {"coordinator": coord, "stranger": tg.user(5001, "陌生人")}
    for uid, (role, target) in {5002: ("成员", "housing"), 5003: ("网格员", "梨花苑小区")}.items():
        await coord.send(ADMIN, f"/invite {role} {target}")
        person = tg.user(uid, role)
        await person.send(uid, f"/start {invite_code(tg.last_message(ADMIN).text)}")
        people[role] = person

    commands = [c.name for c in sim.app.bot_data.commands]
    assert len(commands) >= 10
    for name in commands:
        for who, actor in people.items():
            for chat in (actor.id, group, stray_group):
                for args in ODD_ARGS:
                    before = tg.count_messages(chat, from_bot=True)
                    if who == "stranger":
                        sim.clock.advance(timedelta(minutes=5))
                    await actor.send(chat, f"/{name} {args}".rstrip())
                    after = tg.count_messages(chat, from_bot=True)
                    private = chat == actor.id
                    if private or who != "stranger" or name in ("help",):
                        assert after > before, (
                            f"/{name} {args[:20]!r} by {who} in {chat}: no answer"
                        )
                    # Leave any conversation it started (a conversation is its sender's own).
                    await actor.send(actor.id, "/cancel")

    # forged and stale button data on a real bot message: refused politely, nothing else
    target = tg.last_message(group)
    for data in ["x", "case:ack:999999:1", "c:ack:1:1", "r:held:999", "::::", "0" * 64]:
        for actor in people.values():
            sim.clock.advance(timedelta(minutes=5))
            answer = await actor.press_data(group, target.message_id, data)
            assert answer is not None and answer.text, f"{data!r} unanswered"
            assert SORRY not in answer.text

    for chat_id in tg.chats:
        for message in tg.chat_view(chat_id):
            assert SORRY not in message.text, tg.transcript(chat_id)
            assert "Traceback" not in message.text
    tg.check()
    await sim.stop()


TYPED = "<b>x&y"
QUOTED_IN_PRIVATE = [
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


async def test_refusals_quote_the_typed_text_escaped_and_intact(sqlite_url: str, clock: FakeClock):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, coord = office.tg, office.coord
        await office.whistle()
        await office.sim.tick()
        group = tg.create_group("新群", supergroup=True)
        for chat, command in [(ADMIN, c) for c in QUOTED_IN_PRIVATE] + [(group, f"/bind {TYPED}")]:
            await coord.send(chat, command)
            answer = tg.last_message(chat)
            assert answer.from_bot, command
            assert SORRY not in answer.text, command
            assert TYPED in answer.text, (command, answer.text)
    finally:
        await office.sim.stop()
