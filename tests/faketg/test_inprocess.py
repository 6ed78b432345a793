"""The fake Telegram driven by a real PTB Application in-process: people, buttons, errors."""

from __future__ import annotations

import io

import pytest
from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeChat
from telegram import InlineKeyboardButton as Btn
from telegram import InlineKeyboardMarkup as Kb
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from faketg import (
    BLOCKED_BY_USER,
    NOT_STARTED,
    SEND_METHODS,
    CallbackAnswer,
    FakeRequest,
    FakeTelegram,
    FakeTelegramGap,
    FaultKind,
    UsageError,
)
from tests.faketg.conftest import Seen, build_app

# PTB 22 warns that retry_after will become a timedelta; these tests read it as seconds.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


async def test_commands_get_entities_and_reach_the_handler(tg, app, seen: Seen):
    alice = tg.user(1001, "丽", "王", username="wangli")
    group = tg.create_group("消防大队工作群", supergroup=True)

    await alice.send(alice.chat_id, "/echo 你好 世界")
    await alice.send(group, "/echo@firegrid_bot 群里")
    await alice.send(group, "/echo@other_bot 不是给我的")

    private = tg.chat_view(alice.chat_id)
    assert [m.text for m in private] == ["/echo 你好 世界", "收到：你好 世界"]
    assert private[0].entities == ({"type": "bot_command", "offset": 0, "length": 5},)
    assert private[1].from_bot and private[1].html == "<b>收到</b>：你好 世界"
    assert private[1].buttons == ((("确认", "confirm:1"),),)
    in_group = tg.chat_view(group)
    assert in_group[0].entities[0]["length"] == len("/echo@firegrid_bot")
    assert [m.text for m in tg.bot_messages(group)] == ["收到：群里"]
    # Privacy mode: a command addressed to another bot never reaches this one.
    assert [u.message.text for u in seen.updates] == ["/echo 你好 世界", "/echo@firegrid_bot 群里"]


async def test_press_by_label_returns_the_popup_and_the_edit_shows(tg, app):
    alice = tg.user(1001, "丽", "王")
    await alice.send(alice.chat_id, "/echo 隐患")
    card = tg.last_message(alice.chat_id)

    answer = await alice.press(alice.chat_id, "确认")

    assert answer == CallbackAnswer(text="已收到，谢谢", show_alert=True)
    edited = tg.message(alice.chat_id, card.message_id)
    assert edited.text == "已确认" and edited.edited_at is not None
    assert edited.buttons == ()  # editMessageText without reply_markup drops the keyboard
    assert len(tg.chat_view(alice.chat_id)) == 2
    with pytest.raises(UsageError, match="no button"):
        await alice.press(alice.chat_id, "确认")


async def test_forged_callback_data_reaches_the_bot(tg, app):
    alice = tg.user(1001, "丽", "王")
    await alice.send(alice.chat_id, "/echo x")
    card = tg.last_message(alice.chat_id)
    answer = await alice.press_data(alice.chat_id, card.message_id, "confirm:999")
    assert answer == CallbackAnswer(text="该按钮已失效。", show_alert=True)
    assert tg.message(alice.chat_id, card.message_id).text == "收到：x"


async def test_a_press_can_be_answered_only_once(tg, app):
    alice = tg.user(1001, "丽", "王")
    await alice.send(alice.chat_id, "/echo x")
    await alice.press(alice.chat_id, "确认")
    query_id = next(iter(tg.callbacks))
    with pytest.raises(BadRequest, match="Query is too old"):
        await app.bot.answer_callback_query(query_id, "again")


async def test_telegram_limits_give_telegrams_400s(tg, app):
    alice = tg.user(1001, "丽", "王", started=True)
    bot, chat = app.bot, alice.chat_id

    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(chat, "长" * 4097)
    await bot.send_message(chat, "长" * 4096)
    # The limit counts text after entity parsing: tags do not count.
    await bot.send_message(chat, "<b>" + "长" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(chat, "  ")
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(chat, b"\x89PNG fake", caption="字" * 1025)
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(chat, "x", reply_markup=Kb([[Btn("a", callback_data="案" * 22)]]))
    await bot.send_message(chat, "x", reply_markup=Kb([[Btn("a", callback_data="a" * 64)]]))
    # PTB capitalizes Telegram's description: "Bad Request: can't parse entities: Unsupported..."
    with pytest.raises(
        BadRequest, match=r'^Can\'t parse entities: unsupported start tag "br" at byte offset 9$'
    ):
        await bot.send_message(chat, "第一行<br>第二行", parse_mode="HTML")
    with pytest.raises(BadRequest, match="can't find end tag corresponding to start tag"):
        await bot.send_message(chat, "<b>未闭合", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(-999, "x")
    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(chat, "x", reply_to_message_id=999)
    sent = await bot.send_message(
        chat, "x", reply_to_message_id=999, allow_sending_without_reply=True
    )
    assert sent.reply_to_message is None

    message = await bot.send_message(chat, "同一内容")
    with pytest.raises(
        BadRequest, match=r"^Message is not modified: specified new message content"
    ):
        await bot.edit_message_text("同一内容", chat, message.message_id)
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("新", chat, 9999)
    user_message = await alice.send(chat, "你好")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("新", chat, user_message.message_id)
    assert tg.check() is None


async def test_html_and_plain_text_are_both_kept(tg, app):
    alice = tg.user(1001, "丽", "王", started=True)
    await app.bot.send_message(
        alice.chat_id,
        "<b>【紧急】</b> &lt;梨花苑&gt; <a href='https://t.me/x'>链接</a>",
        parse_mode="HTML",
    )
    await app.bot.send_message(alice.chat_id, "a < b & c")
    html_message, plain_message = tg.bot_messages(alice.chat_id)
    assert html_message.text == "【紧急】 <梨花苑> 链接"
    assert html_message.html.startswith("<b>【紧急】</b>")
    assert {e["type"] for e in html_message.entities} == {"bold", "text_link"}
    assert plain_message.text == "a < b & c" and plain_message.html == "a &lt; b &amp; c"


async def test_rate_limit_raises_retry_after_then_passes(tg, app):
    alice = tg.user(1001, "丽", "王", started=True)
    fault = tg.faults.rate_limit(5, method="sendMessage", chat_id=alice.chat_id)
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(alice.chat_id, "x")
    assert caught.value.retry_after == 5
    await app.bot.send_message(alice.chat_id, "x")  # times=1: the next call passes
    assert fault.hits == 1 and [m.text for m in tg.bot_messages(alice.chat_id)] == ["x"]
    assert [c.status for c in tg.calls_to("sendMessage")] == [429, 200]


async def test_faults_filter_by_method_and_chat_and_count(tg, app):
    alice, bob = tg.user(1001, "丽", "王", started=True), tg.user(1002, "强", "李", started=True)
    tg.faults.server_error(method=SEND_METHODS, chat_id=alice.chat_id, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await app.bot.send_message(alice.chat_id, "x")
    await app.bot.send_message(bob.chat_id, "unaffected")
    await app.bot.send_message(alice.chat_id, "third try")
    assert [m.text for m in tg.bot_messages(alice.chat_id)] == ["third try"]
    assert [h.kind for h in tg.faults.hits] == [FaultKind.SERVER_ERROR] * 2


async def test_timeouts_and_network_errors_in_process(tg, app):
    alice = tg.user(1001, "丽", "王", started=True)
    tg.faults.timeout(method="sendMessage")
    with pytest.raises(TimedOut):
        await app.bot.send_message(alice.chat_id, "lost")
    tg.faults.network_error(method="sendMessage")
    with pytest.raises(NetworkError):
        await app.bot.send_message(alice.chat_id, "lost")
    assert tg.bot_messages(alice.chat_id) == []

    # The ugly case for at-least-once delivery: Telegram sent it, the answer never came back.
    tg.faults.timeout(method="sendMessage", delivered=True)
    with pytest.raises(TimedOut):
        await app.bot.send_message(alice.chat_id, "sent but unanswered")
    assert [m.text for m in tg.bot_messages(alice.chat_id)] == ["sent but unanswered"]


async def test_outage_fails_every_call_until_switched_off(tg, app):
    alice = tg.user(1001, "丽", "王", started=True)
    tg.faults.outage(on=True)
    for call in (app.bot.get_me(), app.bot.send_message(alice.chat_id, "x")):
        with pytest.raises(NetworkError):
            await call
    tg.faults.outage(on=False)
    await app.bot.send_message(alice.chat_id, "after the outage")
    assert not tg.faults.in_outage
    tg.faults.outage(on=True, kind=FaultKind.SERVER_ERROR, status=503)
    with pytest.raises(NetworkError, match="Service Unavailable"):
        await app.bot.send_message(alice.chat_id, "x")
    tg.faults.clear()
    await app.bot.send_message(alice.chat_id, "ok")


async def test_forbidden_when_kicked_or_blocked(tg, app, seen: Seen):
    alice = tg.user(1001, "丽", "王")
    group = tg.create_group("住建办工作群", bot_member=False)
    await tg.add_bot(group, by=alice)
    await app.bot.send_message(group, "大家好")
    await tg.remove_bot(group, by=alice)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await app.bot.send_message(group, "还在吗")

    await alice.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(alice.chat_id, "x")
    await alice.unblock_bot()
    await app.bot.send_message(alice.chat_id, "x")
    assert seen.member_changes == [
        ("left", "member"),
        ("member", "kicked"),
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    added = [u for u in seen.updates if u.message and u.message.new_chat_members]
    assert added and added[0].message.new_chat_members[0].username == "firegrid_bot"

    tg.faults.forbidden(BLOCKED_BY_USER, chat_id=alice.chat_id)
    with pytest.raises(Forbidden, match="blocked"):
        await app.bot.send_message(alice.chat_id, "x")


async def test_a_person_who_never_wrote_to_the_bot_cannot_be_written_to(tg, app, seen: Seen):
    bob = tg.user(1002, "强", "李")
    group = tg.create_group("住建办工作群")
    with pytest.raises(
        Forbidden, match=r"^Forbidden: bot can't initiate conversation with a user$"
    ):
        await app.bot.send_message(bob.chat_id, "x")
    await bob.send(group, "/echo 群里说话不算")  # being seen in a group does not open the chat
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await app.bot.send_message(bob.chat_id, "x")

    await bob.start()
    await app.bot.send_message(bob.chat_id, "现在可以了")
    assert tg.bot_messages(bob.chat_id)[-1].text == "现在可以了"
    assert tg.user(1003, "芳", "张", started=True).record.started_bot  # opened before the test
    tg.faults.forbidden(NOT_STARTED, chat_id=bob.chat_id, times=1)
    with pytest.raises(Forbidden, match="can't initiate"):
        await app.bot.send_message(bob.chat_id, "x")


async def test_migrated_group_answers_chat_migrated(tg, app):
    group = tg.create_group("千山社区工作群")
    new_id = tg.migrate_group(group)
    assert str(new_id).startswith("-100")
    with pytest.raises(ChatMigrated) as caught:
        await app.bot.send_message(group, "x")
    assert caught.value.new_chat_id == new_id
    await app.bot.send_message(new_id, "到新群了")
    assert [m.text for m in tg.bot_messages(new_id)] == ["到新群了"]


async def test_unknown_method_fails_loudly(tg, app):
    with pytest.raises(NetworkError) as caught:
        await app.bot.leave_chat(-100123)
    assert isinstance(caught.value.__cause__, FakeTelegramGap)
    assert "leaveChat" in str(caught.value.__cause__)
    with pytest.raises(FakeTelegramGap, match="leaveChat"):
        tg.check()


async def test_privacy_mode_hides_plain_group_chatter(tg, app, seen: Seen):
    alice = tg.user(1001, "丽", "王")
    group = tg.create_group("消防大队工作群", supergroup=True)
    await alice.send(group, "/echo 命令")
    card = tg.last_message(group)
    await alice.send(group, "随便聊聊")
    await alice.send(group, "回复机器人", reply_to=card.message_id)
    texts = [u.message.text for u in seen.updates if u.message]
    assert texts == ["/echo 命令", "回复机器人"]
    assert seen.updates[-1].message.reply_to_message.message_id == card.message_id
    assert [m.text for m in tg.chat_view(group)][-2:] == ["随便聊聊", "回复机器人"]


async def test_privacy_mode_off_delivers_everything():
    tg = FakeTelegram(privacy_mode=False)
    seen = Seen()
    async with build_app(tg, seen) as app:
        tg.attach(app)
        alice = tg.user(1001, "丽", "王")
        group = tg.create_group("群")
        await alice.send(group, "随便聊聊")
        assert [u.message.text for u in seen.updates] == ["随便聊聊"]
        assert (await app.bot.get_me()).can_read_all_group_messages


async def test_photos_locations_documents_and_albums(tg, app, seen: Seen):
    alice = tg.user(1001, "丽", "王")
    forum = tg.create_group("指挥部", supergroup=True, forum=True)
    topic = tg.create_topic(forum, "隐患上报")

    await alice.send_photo(alice.chat_id, "楼道堆物")
    await alice.send_location(alice.chat_id, 41.05, 122.99)
    photo_update, location_update = seen.updates[-2:]
    assert photo_update.message.caption == "楼道堆物"
    sizes = photo_update.message.photo
    assert len(sizes) == 2 and (sizes[-1].width, sizes[0].width) == (320, 90)
    assert len({s.file_unique_id for s in sizes}) == 2
    assert location_update.message.location.latitude == pytest.approx(41.05)

    # The bot can resend a person's photo by file_id, into a forum topic.
    resent = await app.bot.send_photo(forum, sizes[-1].file_id, message_thread_id=topic)
    assert resent.message_thread_id == topic and resent.photo[-1].file_id == sizes[-1].file_id
    assert tg.photo_bytes(tg.last_message(forum)).startswith(b"\x89PNG")
    with pytest.raises(BadRequest, match=r"^Message thread not found$"):
        await app.bot.send_message(forum, "x", message_thread_id=999)

    docx = b"PK\x03\x04 a docx"
    await app.bot.send_document(alice.chat_id, io.BytesIO(docx), filename="月度通报.docx")
    view = tg.last_message(alice.chat_id)
    assert view.document is not None and view.document.file_name == "月度通报.docx"
    assert view.document.mime_type.endswith("wordprocessingml.document")
    assert tg.document_bytes(view) == docx
    downloaded = await (await app.bot.get_file(view.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == docx
    with pytest.raises(BadRequest, match=r"^Can't use file of type document as photo$"):
        await app.bot.send_photo(alice.chat_id, view.document.file_id)

    from telegram import InputMediaPhoto

    album = await app.bot.send_media_group(
        alice.chat_id,
        [InputMediaPhoto(b"\x89PNG one", caption="一"), InputMediaPhoto(b"\x89PNG two")],
    )
    assert len({m.media_group_id for m in album}) == 1
    await app.bot.send_location(alice.chat_id, 41.1, 123.0)
    assert tg.last_message(alice.chat_id).location == (41.1, 123.0)


async def test_command_menus_per_scope(tg, app):
    alice = tg.user(1001, "丽", "王")
    group = tg.create_group("群")
    await app.bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await app.bot.set_my_commands(
        [BotCommand("bind", "绑定本群")], scope=BotCommandScopeAllGroupChats()
    )
    await app.bot.set_my_commands(
        [BotCommand("people", "人员"), BotCommand("help", "帮助")],
        scope=BotCommandScopeChat(alice.id),
    )
    assert tg.commands_for(alice.chat_id) == [("people", "人员"), ("help", "帮助")]
    assert tg.commands_for(group, alice.id) == [("bind", "绑定本群")]
    bob = tg.user(1002, "强", "李")
    assert [c for c, _ in tg.commands_for(bob.chat_id)] == ["start", "help"]
    assert [
        c.command for c in await app.bot.get_my_commands(scope=BotCommandScopeChat(alice.id))
    ] == [
        "people",
        "help",
    ]
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await app.bot.set_my_commands([BotCommand("Bind", "大写")])
    await app.bot.delete_my_commands(scope=BotCommandScopeChat(alice.id))
    assert [c for c, _ in tg.commands_for(alice.chat_id)] == ["start", "help"]


async def test_get_updates_queue_without_attached_app(tg, seen: Seen):
    """Polling mode: actions queue; getUpdates returns them until confirmed by offset."""
    alice = tg.user(1001, "丽", "王")
    async with build_app(tg, seen) as app:
        await alice.send(alice.chat_id, "/start")
        await alice.send(alice.chat_id, "第二条")
        first = await app.bot.get_updates()
        assert [u.message.text for u in first] == ["/start", "第二条"]
        again = await app.bot.get_updates(offset=first[0].update_id + 1)
        assert [u.message.text for u in again] == ["第二条"]
        assert await app.bot.get_updates(offset=first[-1].update_id + 1) == ()
        assert seen.updates == []


async def test_chat_member_and_admin_views(tg, app):
    group = tg.create_group("管理员群", bot_admin=True)
    chat = await app.bot.get_chat(group)
    assert chat.title == "管理员群" and chat.type == "group"
    alice = tg.user(1001, "丽", "王")
    await alice.send(group, "管理员能看到所有消息")
    message = tg.chat_view(group)[-1]
    await app.bot.delete_message(group, message.message_id)
    assert tg.chat_view(group) == []
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await app.bot.delete_message(group, message.message_id)


async def test_limits_mode_answers_429_like_telegram():
    now = [0.0]
    tg = FakeTelegram(enforce_limits=True, clock=lambda: now[0])
    async with build_app(tg, Seen()) as app:
        groups = [tg.create_group(f"群{i}") for i in range(31)]
        for group in groups[:30]:
            await app.bot.send_message(group, "通知")
        with pytest.raises(RetryAfter):
            await app.bot.send_message(groups[30], "第31条")
        now[0] += 1.0
        await app.bot.send_message(groups[30], "一秒后")

        for i in range(19):  # group 0 already has one: a burst of 20 fills its bucket
            await app.bot.send_message(groups[0], f"第{i}条")
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(groups[0], "超限")
        # The bucket drains one message every 3 s; a third of one drained during the last second.
        assert caught.value.retry_after == 2
        now[0] += 2
        await app.bot.send_message(groups[0], "等待后")

        alice = tg.user(1001, "丽", "王", started=True)
        await app.bot.send_message(alice.chat_id, "一")
        with pytest.raises(RetryAfter):
            await app.bot.send_message(alice.chat_id, "二")
        now[0] += 1.0
        await app.bot.send_message(alice.chat_id, "二")
        assert tg.limits is not None
        assert tg.limits.rejected == 3
        assert dict(tg.limits.rejected_by_scope) == {"overall": 1, "group": 1, "private": 1}


def test_fake_request_is_a_base_request(tg: FakeTelegram):
    from telegram.request import BaseRequest

    assert isinstance(FakeRequest(tg), BaseRequest)
