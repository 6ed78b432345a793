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


async def test_blocked_person_and_lost_group_notices_say_what_happens_next(world: World):
    """A block drops what was waiting, not the person: say so, and who can undo it."""
    w = world
    person = w.tg.user(2001, "张")
    await person.block_bot()
    await w.send(2001, "给张的消息")
    await w.send(-4009999, "给一个不存在的群")
    await w.drain()

    blocked, lost = [t for t in w.texts(ADMIN) if t.startswith("【送达异常】")]
    assert "已停止发送" not in blocked
    assert "对方已屏蔽机器人" in blocked and "发送 /start，此后的消息即可送达" in blocked
    assert "本人" not in lost and "请将机器人重新拉入该群" in lost


async def test_outbox_folds_repeated_failures_into_one_line(world: World):
    """Five messages to a person who blocked the bot are one line with a count, not five."""
    w = world
    person = w.tg.user(2001, "张")
    await person.block_bot()
    for n in range(5):
        await w.send(2001, f"消息{n}")
    await w.drain()

    await w.admin.send(ADMIN, "/outbox")
    shown = w.texts(ADMIN)[-1]
    failed = [line for line in shown.splitlines() if "会话 2001" in line]
    assert len(failed) == 1 and "未发送 5 条" in failed[0] and "对方已屏蔽机器人" in failed[0]


async def test_a_person_blocking_again_another_day_is_reported_again(world: World):
    """One notice per person and day: a burst makes one, a new block next month another."""
    w = world
    person = w.tg.user(2001, "张")
    await person.block_bot()
    await w.send(2001, "第一条")
    await w.send(2001, "第二条")
    await w.drain()
    assert sum(t.startswith("【送达异常】") for t in w.texts(ADMIN)) == 1
    w.clock.advance(days=30)
    await w.send(2001, "一个月后")
    await w.drain()
    assert sum(t.startswith("【送达异常】") for t in w.texts(ADMIN)) == 2
