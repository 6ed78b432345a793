"""/outbox shows the coordinators what waits, what failed and which groups are unreachable."""

from __future__ import annotations

from tests.delivery.support import ADMIN, World


async def test_outbox_lists_backlog_failures_and_unreachable_groups(world: World):
    w = world
    await w.admin.send(ADMIN, "/outbox")
    assert "一切正常" in w.texts(ADMIN)[-1]

    housing = w.tg.create_group("住建办工作群")
    await w.bind("housing", housing, "住建办工作群")
    await w.tg.remove_bot(housing, by=w.admin)
    await w.to_department("housing", "派遣")
    slow = w.tg.user(2001, "赵", started=True).record.id
    w.tg.faults.server_error(chat_id=slow, times=None)
    await w.send(slow, "等待中的消息一")
    await w.send(slow, "等待中的消息二")
    await w.send(2002, "<oops>坏标签")
    w.tg.user(2002, "钱", started=True)
    for _ in range(6):
        await w.deliver()
        await w.pacing.sleep(3)

    await w.admin.send(ADMIN, "/outbox")
    shown = w.texts(ADMIN)[-1]
    assert "已转送 1 条" in shown and "失败 1 条" in shown
    assert "无法送达的工作群" in shown and "住建办“住建办工作群”" in shown and "移出" in shown
    assert "会话 2001：2 条" in shown and "Telegram 服务器故障" in shown
    assert "请求被拒" in shown and "unsupported start tag" in shown


async def test_outbox_is_for_coordinators_only(world: World):
    w = world
    stranger = w.tg.user(2999, "路人")
    await stranger.send(2999, "/outbox")
    assert "发送队列" not in w.texts(2999)[-1]


async def test_outbox_explains_failures_in_chinese_with_the_way_back(world: World):
    """No Telegram English for kicks and outages; an unreachable group says how to fix it."""
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
