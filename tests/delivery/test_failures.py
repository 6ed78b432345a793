"""What the courier does with each kind of Bot API failure."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from faketg import FakeRequest, FaultKind
from models.outbox import ErrorKind, OutboxKind, OutboxMessage, OutboxStatus
from services.clock import FakeClock
from services.delivery import chat_migrated
from sim.simulation import FAKE_TOKEN
from tests.delivery.support import ADMIN, World

# PTB 22 warns whenever a RetryAfter is built with seconds (its deprecation, not ours).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def notices(w: World) -> list[str]:
    return [t for t in w.texts(ADMIN) if t.startswith("【送达异常】")]


async def test_429_retries_the_same_row_later_while_other_chats_carry_on(world: World):
    w = world
    p, q = (
        w.tg.user(2001, "甲", started=True).record.id,
        w.tg.user(2002, "乙", started=True).record.id,
    )
    first = await w.send(p, "甲1")
    await w.send(p, "甲2")
    await w.send(q, "乙1")
    w.tg.faults.rate_limit(retry_after=5, chat_id=p, times=1)
    before = w.clock.now()

    await w.deliver()

    assert w.texts(q) == ["乙1"] and w.texts(p) == []
    row = await w.row(first)
    assert (row.status, row.last_error_kind, row.attempts) == (
        OutboxStatus.PENDING,
        ErrorKind.RATE_LIMITED,
        1,
    )
    assert row.not_before >= before + timedelta(seconds=5)

    await w.drain()
    assert w.texts(p) == ["甲1", "甲2"]
    assert [c.status for c in w.tg.calls_to("sendMessage") if c.chat_id == p] == [429, 200, 200]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (FaultKind.SERVER_ERROR, ErrorKind.SERVER_ERROR),
        (FaultKind.TIMEOUT, ErrorKind.TIMEOUT),
        (FaultKind.NETWORK, ErrorKind.NETWORK),
    ],
)
async def test_transient_errors_back_off_and_keep_per_chat_order(
    world: World, kind: FaultKind, expected: ErrorKind
):
    w = world
    p, q = (
        w.tg.user(2001, "甲", started=True).record.id,
        w.tg.user(2002, "乙", started=True).record.id,
    )
    first = await w.send(p, "一")
    await w.send(p, "二")
    await w.send(q, "三")
    w.tg.faults.inject(kind, chat_id=p, times=2)

    await w.deliver()
    row = await w.row(first)
    assert (row.status, row.last_error_kind) == (OutboxStatus.PENDING, expected)
    assert row.not_before > w.clock.now()

    await w.drain()
    assert w.texts(p) == ["一", "二"] and w.texts(q) == ["三"]
    assert (await w.row(first)).attempts == 3


async def test_a_ten_minute_outage_loses_nothing_and_ends_in_order(world: World):
    w = world
    people = [w.tg.user(2100 + i, f"甲{i}", started=True).record.id for i in range(4)]
    groups = [w.tg.create_group(f"群{i}") for i in range(3)]
    chats = people + groups
    w.tg.faults.outage(True)
    passes = 0
    for minute in range(10):
        for chat in chats:
            await w.send(chat, f"第{minute}分钟")
        for _ in range(2):  # a pass every 30 s
            await w.deliver()
            passes += 1
            w.clock.advance(seconds=30)
    failed = [c for c in w.tg.calls if c.method == "sendMessage"]
    assert all(c.status is None for c in failed)
    # One probe per pass at most: the courier does not hammer an API that is down.
    assert len(failed) <= passes
    assert all(w.texts(chat) == [] for chat in chats)

    w.tg.faults.outage(False)
    await w.deliver()

    expected = [f"第{m}分钟" for m in range(10)]
    assert all(w.texts(chat) == expected for chat in chats)
    assert w.rejected == 0
    assert {r.status for r in await w.rows()} == {OutboxStatus.SENT}


async def test_forbidden_group_is_marked_rerouted_and_the_coordinators_told_once(world: World):
    w = world
    housing = w.tg.create_group("住建办工作群")
    leading = w.tg.create_group("领导小组")
    await w.bind("housing", housing, "住建办工作群")
    await w.bind("leading_group", leading, "领导小组")
    await w.to_department("housing", "派遣一")
    await w.to_department("housing", "派遣二")
    await w.tg.remove_bot(housing, by=w.admin)

    await w.drain()

    binding = await w.binding("housing")
    assert binding.unreachable_at is not None
    assert "移出" in (binding.unreachable_reason or "")
    assert [r.status for r in await w.rows() if r.chat_id == housing] == [OutboxStatus.REROUTED] * 2
    assert len([c for c in w.tg.calls_to("sendMessage") if c.chat_id == housing]) == 1
    assert len(notices(w)) == 1 and "/bind housing" in notices(w)[0]
    forwarded = [t for t in w.texts(ADMIN) if t.startswith("【转送】")]
    assert [t.rsplit("\n", 1)[-1] for t in forwarded] == ["派遣一", "派遣二"]
    assert [t.rsplit("\n", 1)[-1] for t in w.texts(leading)] == ["派遣一", "派遣二"]

    # Later pings go to the coordinators and the leading group straight away, no new notice.
    await w.to_department("housing", "派遣三")
    await w.drain()
    assert w.texts(leading)[-1].endswith("派遣三")
    assert len(notices(w)) == 1
    assert len([c for c in w.tg.calls_to("sendMessage") if c.chat_id == housing]) == 1

    # A coordinator binds a new group: the department's messages go there again.
    fresh = w.tg.create_group("住建办新群")
    await w.bind("housing", fresh, "住建办新群")
    await w.to_department("housing", "派遣四")
    await w.drain()
    assert w.texts(fresh) == ["派遣四"]


async def test_a_row_sent_straight_to_an_unreachable_group_is_rerouted_without_asking(
    world: World,
):
    w = world
    housing = w.tg.create_group("住建办工作群")
    await w.bind("housing", housing)
    await w.to_department("housing", "第一条")
    w.tg.faults.forbidden(chat_id=housing)
    await w.drain()
    calls = len(w.tg.calls)
    binding = await w.binding("housing")
    async with w.rt.transaction() as s:
        s.add(
            OutboxMessage(
                chat_id=housing,
                department_id=binding.department_id,
                kind=OutboxKind.TEXT,
                text="直接写入的消息",
                parse_mode="HTML",
                status=OutboxStatus.PENDING,
                not_before=w.clock.now(),
                attempts=0,
                created_at=w.clock.now(),
            )
        )
    await w.drain()
    assert not [c for c in w.tg.calls[calls:] if c.chat_id == housing]
    assert w.texts(ADMIN)[-1].endswith("直接写入的消息")


async def test_a_person_who_blocked_the_bot_is_not_retried_and_reported_once(world: World):
    w = world
    person = w.tg.user(2001, "张")
    await person.block_bot()
    for text in ("一", "二"):
        await w.send(person.record.id, text)
    await w.drain()
    await w.send(person.record.id, "三")
    await w.drain()

    rows = [r for r in await w.rows() if r.chat_id == person.record.id]
    assert [r.status for r in rows] == [OutboxStatus.DEAD] * 3
    assert all(r.last_error_kind is ErrorKind.FORBIDDEN and r.attempts <= 1 for r in rows)
    assert len(notices(w)) == 1 and "屏蔽" in notices(w)[0]


async def test_chat_migrated_moves_the_binding_and_resends_once(world: World):
    w = world
    old = w.tg.create_group("住建办工作群")
    await w.bind("housing", old)
    new = w.tg.migrate_group(old)
    await w.to_department("housing", "迁移前入队")

    await w.drain()

    assert w.texts(new) == ["迁移前入队"]
    assert (await w.binding("housing")).chat_id == new
    await w.to_department("housing", "迁移后入队")
    await w.drain()
    assert w.texts(new) == ["迁移前入队", "迁移后入队"]
    assert len([c for c in w.tg.calls_to("sendMessage") if c.chat_id == old]) == 1


async def test_a_row_that_migrates_twice_is_given_up(world: World):
    w = world
    row_id = await w.send(-4100000999, "两次迁移")
    async with w.rt.transaction() as s:
        first = await chat_migrated(
            s, row_id=row_id, old_chat_id=-4100000999, new_chat_id=-1002100000999, now=w.clock.now()
        )
    async with w.rt.transaction() as s:
        second = await chat_migrated(
            s,
            row_id=row_id,
            old_chat_id=-1002100000999,
            new_chat_id=-1002100000998,
            now=w.clock.now(),
        )
    assert (first, second) == (True, False)
    assert (await w.row(row_id)).status == OutboxStatus.DEAD


async def test_other_400s_are_dead_at_once_and_told_once_per_kind(world: World):
    w = world
    p = w.tg.user(2001, "甲", started=True).record.id
    group = w.tg.create_group("普通群")
    bad1 = await w.send(p, "<foo>坏标签</foo>")
    await w.send(p, "<bar>又一个坏标签</bar>")
    await w.send(p, "正常消息")
    await w.drain()
    row = await w.row(bad1)
    assert (row.status, row.attempts, row.last_error_kind) == (
        OutboxStatus.DEAD,
        1,
        ErrorKind.BAD_REQUEST,
    )
    assert "can't parse entities" in (row.last_error or "").lower()
    assert w.texts(p) == ["正常消息"]  # a dead row does not block the chat
    assert len(notices(w)) == 1

    async with w.rt.transaction() as s:
        from services.outbox import Outgoing, enqueue

        await enqueue(
            s, Outgoing(text="话题不存在"), chat_id=group, thread_id=77, now=w.clock.now()
        )
    await w.drain()
    assert len(notices(w)) == 2 and "thread not found" in notices(w)[1]


async def test_a_send_whose_answer_was_lost_is_repeated_exactly_once(world: World):
    w = world
    p = w.tg.user(2001, "甲", started=True).record.id
    w.tg.faults.timeout(chat_id=p, times=1, delivered=True)
    await w.send(p, "可能重复")
    await w.send(p, "之后")
    await w.drain()
    # At-least-once: the message Telegram took before the answer was lost comes again, once.
    assert w.texts(p) == ["可能重复", "可能重复", "之后"]


async def test_each_failure_is_logged_once_with_chat_and_kind(
    world: World, caplog: pytest.LogCaptureFixture
):
    w = world
    p = w.tg.user(2001, "甲", started=True).record.id
    w.tg.faults.server_error(chat_id=p, times=1)
    await w.send(p, "x")
    with caplog.at_level(logging.WARNING, logger="firegrid.delivery"):
        await w.drain()
    failures = [r.getMessage() for r in caplog.records if r.name == "firegrid.delivery"]
    assert len(failures) == 1
    assert f"chat {p}" in failures[0] and "server_error" in failures[0]


class LeakyRequest(FakeRequest):
    """A transport whose connection errors quote the request URL, token and all (httpx may)."""

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        if url.endswith("/sendMessage"):
            raise RuntimeError(f"connection reset while calling {url}")
        return await super().do_request(url, method, *args, **kwargs)


async def test_the_token_never_reaches_the_log_or_the_outbox(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    w = World(sqlite_url, clock, request_class=LeakyRequest)
    await w.start()
    try:
        row_id = await w.send(ADMIN, "你好")
        with caplog.at_level(logging.WARNING):
            await w.deliver()
        row = await w.row(row_id)
    finally:
        await w.stop()
    assert row.status == OutboxStatus.PENDING and row.last_error_kind is ErrorKind.NETWORK
    assert "<token>" in (row.last_error or "")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "sendMessage" in logged and FAKE_TOKEN not in logged
    assert FAKE_TOKEN not in (row.last_error or "")


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


async def test_blocked_person_and_lost_group_notices_say_what_happens_next(world: World):
    """A block drops what was waiting, not the person: say so, and who can undo it."""
    w = world
    person = w.tg.user(2001, "张")
    await person.block_bot()
    await w.send(2001, "给张的消息")
    await w.send(-4009999, "给一个不存在的群")
    await w.drain()

    blocked, lost = notices(w)
    assert "已停止发送" not in blocked
    assert "对方已屏蔽机器人" in blocked and "发送 /start，此后的消息即可送达" in blocked
    assert "本人" not in lost and "请将机器人重新拉入该群" in lost


async def test_a_person_blocking_again_another_day_is_reported_again(world: World):
    """One notice per person and day: a burst makes one, a new block next month another."""
    w = world
    person = w.tg.user(2001, "张")
    await person.block_bot()
    await w.send(2001, "第一条")
    await w.send(2001, "第二条")
    await w.drain()
    assert len(notices(w)) == 1
    w.clock.advance(days=30)
    await w.send(2001, "一个月后")
    await w.drain()
    assert len(notices(w)) == 2
