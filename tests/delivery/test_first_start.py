"""A person the bot may not write to yet (never opened the private chat): held, not lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.outbox import OutboxMessage, OutboxStatus
from services.clock import FakeClock
from sim.simulation import Simulation
from tests.delivery.support import ADMIN, World


def notices(w: World) -> list[str]:
    return [t for t in w.texts(ADMIN) if t.startswith("【送达异常】")]


async def settle(w: World) -> None:
    """Delivery passes with time between them (drain() would wait for the held chat forever)."""
    for _ in range(5):
        await w.deliver()
        await w.pacing.sleep(2.0)


async def test_messages_wait_for_the_persons_start_in_order_while_others_carry_on(
    any_world: World,
):
    w = any_world
    newcomer = w.tg.user(2001, "新")  # has not opened the chat with the bot yet
    other = w.tg.user(2002, "旧", started=True)
    first = await w.send(newcomer.id, "一")
    await w.send(newcomer.id, "二")
    await w.send(other.id, "别人的")
    await w.send(newcomer.id, "三")

    await settle(w)

    assert w.texts(other.id) == ["别人的"]
    assert w.texts(newcomer.id) == []
    assert (await w.row(first)).status == OutboxStatus.HELD
    statuses = [r.status for r in await w.rows() if r.chat_id == newcomer.id]
    assert statuses == [OutboxStatus.HELD, OutboxStatus.PENDING, OutboxStatus.PENDING]
    # One try, then the chat waits: no retry storm, no failure notice, nothing dead.
    w.clock.advance(timedelta(hours=1))
    await settle(w)
    tried = [c for c in w.tg.calls_to("sendMessage") if c.chat_id == newcomer.id]
    assert [c.status for c in tried] == [403]
    assert notices(w) == []

    await w.admin.send(ADMIN, "/outbox")
    shown = w.texts(ADMIN)[-1]
    assert "会话 2001：3 条" in shown and "等待对方首次私聊机器人" in shown
    assert "其中 3 条等待对方首次私聊机器人" in shown and "失败 0 条" in shown

    await newcomer.start()
    assert "此前有 3 条消息" in w.texts(newcomer.id)[-1]
    await w.drain()
    assert w.texts(newcomer.id)[1:] == ["一", "二", "三"]
    assert {r.status for r in await w.rows() if r.chat_id == newcomer.id} == {OutboxStatus.SENT}
    assert notices(w) == []


async def test_chat_not_found_for_a_person_is_held_but_a_block_is_still_reported(world: World):
    w = world
    unseen = w.tg.user(2001, "未见", started=True)
    w.tg.faults.bad_request("chat not found", chat_id=unseen.id, times=1)
    blocked = w.tg.user(2002, "屏蔽", started=True)
    await blocked.block_bot()
    held = await w.send(unseen.id, "等您")
    dead = await w.send(blocked.id, "被屏蔽")

    await settle(w)

    assert (await w.row(held)).status == OutboxStatus.HELD
    assert (await w.row(dead)).status == OutboxStatus.DEAD
    assert len(notices(w)) == 1 and "屏蔽" in notices(w)[0]
    await unseen.start()
    await w.drain()
    assert w.texts(unseen.id)[-1] == "等您"


async def test_the_quick_start_order_loses_nothing(sqlite_url: str, clock: FakeClock):
    """README: FIREGRID_ADMINS, `make run`, then bind groups — and only later open the chat."""
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    police = tg.create_group("派出所工作群")
    await coord.send(police, "/bind police_station_qianshan")
    await sim.tick()  # the first tick: the 2027 warning and the departments without a group
    await sim.advance(timedelta(minutes=5))
    await sim.restart()  # held rows are rows: a restart keeps them
    await sim.tick()

    assert tg.bot_messages(ADMIN) == []
    assert tg.bot_messages(police)  # the group is not held up by the coordinator's chat
    async with sim.rt.transaction() as s:
        rows = list(
            await s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == ADMIN)
                .order_by(OutboxMessage.id)
            )
        )
    assert rows and rows[0].status == OutboxStatus.HELD
    assert len([c for c in tg.calls if c.chat_id == ADMIN and c.method == "sendMessage"]) == 1

    await coord.start()
    await sim.tick()

    texts = [m.text for m in tg.bot_messages(ADMIN)]
    assert f"此前有 {len(rows)} 条消息" in texts[0]
    assert texts[1:] == [r.text for r in rows]
    assert any(t.startswith("【日历提醒】") and "2027" in t for t in texts)
    assert any(t.startswith("【提醒规则】以下部门尚未绑定可用的工作群") for t in texts)
    assert not any(t.startswith("【送达异常】") for t in texts)
    tg.check()
    await sim.stop()
