"""The courier sends every row once, in per-chat order, within Telegram's limits."""

from __future__ import annotations

from sqlalchemy import select

from models.outbox import OutboxMessage, OutboxStatus
from services.outbox import Button, Outgoing, enqueue
from tests.delivery.support import World


async def test_rows_go_out_in_per_chat_order_with_ids_recorded(any_world: World):
    w = any_world
    people = [w.tg.user(2000 + i, f"成员{i}", started=True).record.id for i in range(3)]
    group = w.tg.create_group("住建办工作群")
    expected: dict[int, list[str]] = {}
    for n in range(4):
        for chat in [*people, group]:
            text = f"第{n}条 → {chat}"
            await w.send(chat, text)
            expected.setdefault(chat, []).append(text)

    await w.drain()

    assert w.texts_by_chat() == expected
    rows = await w.rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(r.message_ids and r.parts_sent == 1 and r.attempts == 1 for r in rows)
    assert w.rejected == 0


async def test_a_dedupe_key_makes_the_second_insert_a_no_op(any_world: World):
    w = any_world
    async with w.rt.transaction() as s:
        first = await enqueue(
            s, Outgoing(text="提醒"), chat_id=1001, now=w.clock.now(), dedupe_key="r:1"
        )
        second = await enqueue(
            s, Outgoing(text="提醒"), chat_id=1001, now=w.clock.now(), dedupe_key="r:1"
        )
    assert first is not None and second is None
    await w.drain()
    assert w.texts(1001) == ["提醒"]


async def test_a_busy_private_chat_waits_its_turn_while_others_carry_on(world: World):
    w = world
    busy = w.tg.user(2001, "忙", started=True).record.id
    others = [w.tg.user(2100 + i, f"甲{i}", started=True).record.id for i in range(20)]
    for n in range(5):
        await w.send(busy, f"忙{n}")
    for chat in others:
        await w.send(chat, "通知")
    start = w.pacing.monotonic()

    await w.drain()

    assert w.texts(busy) == [f"忙{n}" for n in range(5)]
    assert all(w.texts(chat) == ["通知"] for chat in others)
    # One message a second (with margin) to the busy chat; the others did not wait for it.
    assert 4.0 <= w.pacing.monotonic() - start <= 6.0
    sends = [c.chat_id for c in w.tg.calls_to("sendMessage")]
    second_to_busy = [i for i, chat in enumerate(sends) if chat == busy][1]
    assert max(sends.index(chat) for chat in others) < second_to_busy
    assert w.rejected == 0


async def test_a_broadcast_keeps_to_thirty_a_second_and_twenty_a_minute(world: World):
    w = world
    groups = [w.tg.create_group(f"群{i}") for i in range(75)]
    for chat in groups:
        for n in range(2):
            await w.send(chat, f"通报{n}")
    start = w.pacing.monotonic()

    await w.drain()

    elapsed = w.pacing.monotonic() - start
    assert w.rejected == 0
    assert all(w.texts(chat) == ["通报0", "通报1"] for chat in groups)
    # 150 messages: no faster than Telegram's bucket allows (30 at once, then 30/s), and
    # within 10% of the ceiling of 150/30 s.
    assert (150 - 30) / 30 <= elapsed <= 150 / 30 * 1.1


async def test_a_group_over_its_minute_budget_spreads_out_without_429(world: World):
    w = world
    group = w.tg.create_group("消防大队工作群")
    for n in range(30):
        await w.send(group, f"催办{n}")
    start = w.pacing.monotonic()

    await w.drain(rounds=200)

    assert w.texts(group) == [f"催办{n}" for n in range(30)]
    assert w.rejected == 0
    # 18 at once, then one every ~3.2 s.
    assert 30 <= w.pacing.monotonic() - start <= 60


async def test_buttons_and_replies_reach_telegram(world: World):
    w = world
    first = await w.send(1001, "派遣单", buttons=[[Button("报到", data="case:ack:1:2")]])
    await w.drain()
    async with w.rt.transaction() as s:
        await enqueue(
            s, Outgoing(text="补充说明", reply_to_outbox_id=first), chat_id=1001, now=w.clock.now()
        )
    await w.drain()
    card, note = w.tg.bot_messages(1001)
    assert card.button_labels == ["报到"]
    assert note.reply_to == card.message_id


async def test_a_direct_reply_and_the_outbox_share_one_budget(world: World):
    w = world
    person = w.tg.user(2500, "李", started=True).record.id
    await w.send(person, "队列消息")
    await w.app.bot.send_message(person, "直接回复")  # waits in the shared limiter
    slept_before = w.pacing.slept
    await w.drain()
    assert w.texts(person) == ["直接回复", "队列消息"]
    assert w.pacing.slept - slept_before >= 1.0  # the outbox waited for the reply's second
    assert w.rejected == 0


async def test_claimed_rows_of_a_killed_process_are_sent_again_on_start(world: World):
    w = world
    row_id = await w.send(1001, "发送中被中断")
    async with w.rt.transaction() as s:
        row = await s.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.claimed_by, row.claimed_at = (
            OutboxStatus.SENDING,
            "dead-host:1:abc",
            w.clock.now(),
        )
    assert await w.deliver() == 0  # claimed by someone else, not stale yet

    await w.stop()
    await w.start()  # startup re-queues everything a SQLite process left behind
    await w.drain()
    assert w.texts(1001) == ["发送中被中断"]


async def test_on_postgresql_a_stale_claim_is_taken_back_after_the_timeout(any_world: World):
    w = any_world
    row_id = await w.send(1001, "无人认领")
    async with w.rt.transaction() as s:
        row = await s.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.claimed_by, row.claimed_at = (
            OutboxStatus.SENDING,
            "gone:1:abc",
            w.clock.now(),
        )
    courier = w.courier()
    await courier.recover(exclusive=False)
    assert await w.deliver() == 0
    w.clock.advance(minutes=3)
    courier._last_reclaim = None  # a new pass looks for stale claims again
    await w.deliver()
    assert w.texts(1001) == ["无人认领"]
    async with w.rt.transaction() as s:
        assert (
            await s.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row_id))
        ) == OutboxStatus.SENT
