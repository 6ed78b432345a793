"""Long texts split at paragraphs, long captions moved after the media, edits, resuming."""

from __future__ import annotations

from html import escape

from faketg.html import parse_html
from models.outbox import ErrorKind, OutboxKind, OutboxMessage, OutboxStatus
from services.outbox import Button, Outgoing, enqueue
from tests.delivery.support import World


def long_report(paragraphs: int = 5, size: int = 900) -> str:
    user_text = escape("<script>&amp; 用户写的 & 符号</script>")
    return "\n\n".join(
        f"<b>第{i}段</b> {user_text} " + "消防通道堵塞" * (size // 6) for i in range(paragraphs)
    )


async def test_a_long_text_is_split_at_paragraphs_with_buttons_on_the_last_part(world: World):
    w = world
    group = w.tg.create_group("消防大队工作群")
    text = long_report()
    await w.send(group, text, buttons=[[Button("报到", data="case:ack:1:1")]])

    await w.drain()

    parts = w.tg.bot_messages(group)
    assert len(parts) == 2
    assert all(len(m.text) <= 4096 for m in parts)
    assert [bool(m.buttons) for m in parts] == [False, True]
    # Nothing lost: the paragraphs come back in order, and every part starts a paragraph.
    plain, _ = parse_html(text)
    assert "\n\n".join(m.text for m in parts) == plain
    assert all(m.text.startswith("第") for m in parts)


async def test_a_crash_after_the_first_part_resumes_with_the_second(world: World):
    w = world
    group = w.tg.create_group("住建办工作群")
    row_id = await w.send(group, long_report(paragraphs=9))
    async with w.rt.transaction() as s:
        row = await s.get(OutboxMessage, row_id)
        assert row is not None  # as if part 1 went out and then the process died
        row.status, row.parts_sent, row.message_ids = OutboxStatus.SENDING, 1, [4242]
    await w.stop()
    await w.start()

    await w.drain()

    parts = w.tg.bot_messages(group)
    assert len(parts) == 2 and parts[0].text.startswith("第4段")
    row = await w.row(row_id)
    assert (row.status, row.parts_sent) == (OutboxStatus.SENT, 3)
    assert row.message_ids is not None and row.message_ids[0] == 4242


async def test_a_long_caption_moves_into_a_following_text(world: World):
    w = world
    reporter = w.tg.user(3001, "网格员")
    photo = await reporter.send_photo(3001)
    assert photo.photo is not None
    group = w.tg.create_group("住建办工作群")
    caption = "【隐患】" + "电动自行车在楼道充电。" * 120  # > 1024
    await w.send(
        group,
        caption,
        kind=OutboxKind.PHOTO,
        media=[photo.photo.file_id],
        buttons=[[Button("报到", data="case:ack:2:1")]],
    )
    await w.send(group, "短说明", kind=OutboxKind.PHOTO, media=[photo.photo.file_id])

    await w.drain()

    first, text, second = w.tg.bot_messages(group)
    assert first.photo is not None and first.text == ""
    assert text.text == caption and text.button_labels == ["报到"]
    assert second.photo is not None and second.text == "短说明"


async def test_edits_follow_the_card_and_an_unchanged_edit_is_done(world: World):
    w = world
    group = w.tg.create_group("住建办工作群")
    card = await w.send(group, "【派遣】待报到", buttons=[[Button("报到", data="case:ack:3:1")]])
    await w.drain()
    async with w.rt.transaction() as s:
        for text in ("【派遣】已报到", "【派遣】已报到"):
            await enqueue(
                s,
                Outgoing(text=text, kind=OutboxKind.EDIT_TEXT, target_outbox_id=card),
                chat_id=group,
                now=w.clock.now(),
            )
        await enqueue(
            s,
            Outgoing(kind=OutboxKind.EDIT_MARKUP, target_outbox_id=card),
            chat_id=group,
            now=w.clock.now(),
        )
    await w.drain()

    (shown,) = w.tg.bot_messages(group)
    assert shown.text == "【派遣】已报到" and shown.buttons == ()
    assert {r.status for r in await w.rows()} == {OutboxStatus.SENT}


async def test_an_edit_of_a_message_that_never_arrived_is_dropped_quietly(world: World):
    w = world
    p = w.tg.user(2001, "甲")
    await p.block_bot()
    card = await w.send(p.record.id, "卡片")
    await w.drain()
    await p.unblock_bot()
    async with w.rt.transaction() as s:
        edit = await enqueue(
            s,
            Outgoing(text="新内容", kind=OutboxKind.EDIT_TEXT, target_outbox_id=card),
            chat_id=p.record.id,
            now=w.clock.now(),
        )
    assert edit is not None
    await w.drain()
    row = await w.row(edit)
    assert (row.status, row.last_error_kind) == (OutboxStatus.DEAD, ErrorKind.INVALID)
    assert w.texts(p.record.id) == []
