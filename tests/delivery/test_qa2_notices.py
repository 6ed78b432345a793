"""What coordinators read when a group or a person cannot be reached (second QA round)."""

from __future__ import annotations

from tests.delivery.support import ADMIN, World


async def test_the_unreachable_notice_comes_before_the_forwarded_pings(world: World):
    """The coordinator first learns why, then reads the department's forwarded messages."""
    w = world
    housing = w.tg.create_group("住建办工作群")
    await w.bind("housing", housing, "住建办工作群")
    await w.to_department("housing", "【催办】请住建办报到")
    await w.tg.remove_bot(housing, by=w.admin)
    await w.drain()

    heads = [t.split("\n", 1)[0][:6] for t in w.texts(ADMIN)]
    assert heads == ["【送达异常】", "【转送】住建"]


async def test_outbox_explains_failures_in_chinese_with_the_way_back(world: World):
    """/outbox: no Telegram English for kicks and outages; an unreachable group says how to fix it."""
    w = world
    housing = w.tg.create_group("住建办工作群")
    await w.bind("housing", housing, "住建办工作群")
    await w.tg.remove_bot(housing, by=w.admin)
    await w.to_department("housing", "派遣")
    slow = w.tg.user(2001, "赵").record.id
    w.tg.faults.server_error(chat_id=slow, times=None)
    await w.send(slow, "等待中的消息")
    for _ in range(4):
        await w.deliver()
        await w.pacing.sleep(3)

    await w.admin.send(ADMIN, "/outbox")
    shown = w.texts(ADMIN)[-1]
    assert (
        "机器人已被移出该群" in shown and "请将机器人拉回该群，并在群内发送 /bind housing" in shown
    )
    assert "Telegram 服务器故障" in shown
    for english in ("Forbidden", "kicked", "Bad Gateway"):
        assert english not in shown
