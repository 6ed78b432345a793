"""Routes free messages (text, photos, locations) to the conversation the person is in.

Conversation state lives in the database (services/dialogs.py), so after a restart the next
message lands in the same step. Features register a DialogRoutes per dialog kind, and trigger
words that start a conversation from plain text (e.g. 吹哨).

A person keeps one draft per kind; the *active* one takes their messages. Starting another
conversation over one that holds typed answers asks first (`begin_dialog`):
"您有未完成的吹哨上报（第3步）" — 继续填写 (back to it) / 稍后再填 (it waits, parked; the new
one starts) / 放弃 (it is deleted; the new one starts). Drawn in docs/dialogs.mmd. A message
already in the draft (the same update delivered again) is not applied twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from telegram import Chat, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.buttons import Press, add_buttons, keyboard
from handlers.context import CommandSpec, CustomContext, DialogRoutes, Trigger, TriggerHandler
from handlers.guards import (
    MAX_INPUT,
    NOT_REGISTERED,
    current_person,
    refuse,
    reply,
)
from models.dto import PersonInfo
from models.enums import Role
from services.buttons import DIALOG, DialogAction
from services.dialogs import (
    Dialog,
    activate,
    clear_dialog,
    get_dialog,
    get_draft,
    parked_dialogs,
    set_dialog,
)
from services.errors import Refusal
from services.outbox import Button

log = logging.getLogger("firegrid.router")
STALE = "该按钮已失效或无法识别，请按最新消息操作。"

COMMANDS = [CommandSpec("cancel", "取消当前正在进行的填报或操作", frozenset(Role), "any")]


def add_dialog(app: Application, kind: str, routes: DialogRoutes) -> None:
    """Register a conversation kind (called by each feature's register())."""
    app.bot_data.dialogs[kind] = routes


def add_trigger(app: Application, pattern: str, handler: TriggerHandler) -> None:
    """Plain words in a private chat that start a conversation when none is under way."""
    app.bot_data.triggers.append(Trigger(re.compile(pattern), handler))


async def route(update: Update, context: CustomContext) -> None:
    """Deliver a free message to the person's conversation, or explain what to do."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    private = chat.type == Chat.PRIVATE
    async with context.rt.transaction() as session:
        dialog = await get_dialog(session, user.id, chat.id)
    if dialog is None and not private:
        return  # ordinary group conversation is none of the bot's business
    if dialog is not None and dialog.already_applied(message.message_id):
        log.info(
            "message %d in chat %d is already in the draft: not applied again",
            message.message_id,
            chat.id,
        )
        return
    person = await current_person(update, context)
    if person is None:
        if private:
            await reply(update, NOT_REGISTERED)
        return
    text = message.text or message.caption or ""
    if len(text) > MAX_INPUT:
        await refuse(update, f"消息过长（{len(text)}字），请控制在{MAX_INPUT}字以内后重新发送。")
        return
    try:
        if dialog is None:
            await _no_dialog(update, context, person, text)
            return
        routes = context.bot_data.dialogs.get(dialog.kind)
        if routes is None:
            await reply(update, "该操作已不再可用，已为您结束。请重新开始。")
            async with context.rt.transaction() as session:
                await clear_dialog(session, user.id, chat.id, dialog.kind)
            return
        if message.photo:
            handler = routes.on_photo
            what = "图片"
        elif message.location:
            handler = routes.on_location
            what = "位置"
        elif message.text:
            handler = routes.on_text
            what = "文字"
        else:
            handler, what = None, _kind_word(message)
        if handler is None:
            await reply(update, _not_here(routes, what, message))
            return
        await handler(update, context, person, dialog)
    except Refusal as refusal:
        await refuse(update, refusal.message)


def _kind_word(message: Message) -> str:
    """What a person sent that is neither text, photo nor location, in plain words."""
    if message.document is not None:
        return "文件"
    if message.voice is not None or message.audio is not None:
        return "语音"
    if message.video is not None or message.video_note is not None:
        return "视频"
    if message.sticker is not None:
        return "贴纸"
    return "此类消息"


def _not_here(routes: DialogRoutes, what: str, message: Message) -> str:
    """The refusal for a message this step cannot take, with the way forward."""
    mime = message.document.mime_type if message.document is not None else None
    if routes.on_photo is not None and mime and mime.startswith("image/"):
        return (
            f"{routes.title}：图片请以照片方式发送（不要以文件方式发送）。"
            "请重新发送，或发送 /cancel 取消。"
        )
    return f"{routes.title}：此步不接收{what}。请按上一条提示操作，或发送 /cancel 取消。"


async def _no_dialog(update: Update, context: CustomContext, person: PersonInfo, text: str) -> None:
    for trigger in context.bot_data.triggers:
        if text and trigger.pattern.fullmatch(text.strip()):
            await trigger.handler(update, context, person)
            return
    answer = "未能识别该消息。发送 /help 查看可用命令。"
    chat = update.effective_chat
    assert chat is not None
    async with context.rt.transaction() as session:
        waiting = await parked_dialogs(session, person.telegram_user_id, chat.id)
    rows: list[list[Button]] = []
    for dialog in waiting:
        what = _unfinished(context, dialog)
        if what is not None:
            answer += f"\n您有未完成的{what}，可点击下方按钮继续填写。"
            rows.append(
                [_button(f"继续{_title(context, dialog.kind)}", DialogAction.KEEP, dialog.kind)]
            )
    await reply(update, answer, reply_markup=keyboard(rows))


async def cancel(update: Update, context: CustomContext) -> None:
    """/cancel: leave whatever conversation the person is in (answers given so far are kept)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    async with context.rt.transaction() as session:
        dialog = await get_dialog(session, user.id, chat.id)
        if dialog is not None:
            await clear_dialog(session, user.id, chat.id, dialog.kind)
    if dialog is None:
        await reply(update, "当前没有进行中的操作。")
    else:
        routes = context.bot_data.dialogs.get(dialog.kind)
        title = routes.title if routes else "当前操作"
        await reply(update, f"已取消：{title}。")


def _title(context: CustomContext, kind: str) -> str:
    routes = context.bot_data.dialogs.get(kind)
    return routes.title if routes is not None else "当前操作"


def _unfinished(context: CustomContext, dialog: Dialog) -> str | None:
    """What the draft holds that would be lost, e.g. 吹哨上报（第3步）; None if nothing."""
    routes = context.bot_data.dialogs.get(dialog.kind)
    if routes is None or routes.unfinished is None:
        return None
    detail = routes.unfinished(dialog)
    return None if detail is None else f"{routes.title}（{detail}）"


def _button(label: str, action: DialogAction, *kinds: str) -> Button:
    return Button(label, DIALOG.encode(action, *kinds))


async def begin_dialog(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    *,
    kind: str,
    chat_id: int,
    step: str,
    data: dict[str, Any] | None = None,
) -> bool:
    """Whether `kind` may start now in this chat; if it would set typed answers aside, ask.

    True: nothing would be lost; the caller starts its conversation as usual (saving it parks
    any other). False: the person was asked 继续填写 / 稍后再填 / 放弃 (the same kind: 继续填写 /
    放弃) in `chat_id`; the new conversation waits parked with `step` and `data`, unless a
    draft of that kind with answers already waits (it is what 稍后再填 / 放弃 then resume).
    """
    rt = context.rt
    uid = person.telegram_user_id
    async with rt.transaction() as session:
        active = await get_dialog(session, uid, chat_id)
        own = await get_draft(session, uid, chat_id, kind)
        own_unfinished = own is not None and _unfinished(context, own) is not None
        if active is not None and active.kind != kind and _unfinished(context, active):
            held = active
            if not own_unfinished:
                await set_dialog(
                    session,
                    user_id=uid,
                    chat_id=chat_id,
                    kind=kind,
                    step=step,
                    data=data or {},
                    now=rt.now(),
                    active=False,
                )
        elif own is not None and own_unfinished:
            held = own
        else:
            return True
    what = _unfinished(context, held) or _title(context, held.kind)
    old = _title(context, held.kind)
    if held.kind == kind:
        text = f"您有未完成的{what}。\n继续填写：接着填写这份草稿；\n放弃：删除草稿，重新开始。"
        rows = [
            [
                _button("继续填写", DialogAction.KEEP, kind),
                _button("放弃", DialogAction.DROP, kind, kind),
            ]
        ]
    else:
        new = _title(context, kind)
        text = (
            f"您有未完成的{what}。\n继续填写：回到{old}；\n"
            f"稍后再填：先进行「{new}」，{old}的草稿为您保留；\n"
            f"放弃：删除{old}的草稿，进行「{new}」。"
        )
        rows = [
            [_button("继续填写", DialogAction.KEEP, held.kind)],
            [
                _button("稍后再填", DialogAction.LATER, held.kind, kind),
                _button("放弃", DialogAction.DROP, held.kind, kind),
            ],
        ]
    await context.bot.send_message(chat_id, text, reply_markup=keyboard(rows))
    return False


async def _choice(
    update: Update, context: CustomContext, person: PersonInfo, press: Press[DialogAction]
) -> None:
    """继续填写 / 稍后再填 / 放弃: which conversation goes on (checked against the database)."""
    chat = update.effective_chat
    assert chat is not None
    kinds = [press.text(i) for i in range(len(press.values))]
    dialogs = context.bot_data.dialogs
    if any(k not in dialogs for k in kinds):
        raise Refusal(STALE)
    rt = context.rt
    uid = person.telegram_user_id
    drop = press.action is DialogAction.DROP
    async with rt.transaction() as session:
        if drop:
            found = await get_draft(session, uid, chat.id, kinds[0]) is not None
            await clear_dialog(session, uid, chat.id, kinds[0])
            same = kinds[1] == kinds[0]
            target = None if same else await activate(session, uid, chat.id, kinds[1], rt.now())
        else:
            target = await activate(session, uid, chat.id, kinds[-1], rt.now())
            found = target is not None
    if not found:
        raise Refusal("该草稿已不存在。请重新开始。")
    await press.answer("已放弃草稿" if drop else None)
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):  # already edited: nothing to take away
            await query.edit_message_reply_markup(reply_markup=None)
    if target is None and kinds[-1] == kinds[0]:  # 放弃 and start the same kind afresh
        restart = dialogs[kinds[0]].restart
        if restart is not None:
            await restart(update, context, person)
        else:
            await reply(
                update, f"已放弃未完成的{_title(context, kinds[0])}。如需填写，请重新开始。"
            )
        return
    if target is None:  # the conversation that waited is gone meanwhile
        await reply(update, f"已放弃未完成的{_title(context, kinds[0])}。请重新开始新的操作。")
        return
    await _resume(update, context, person, target)


async def _resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    routes = context.bot_data.dialogs[dialog.kind]
    if routes.on_resume is None:
        await reply(update, f"请继续{routes.title}：按上一条提示操作，或发送 /cancel 取消。")
        return
    try:
        await routes.on_resume(update, context, person, dialog)
    except Refusal as refusal:
        await refuse(update, refusal.message)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel))
    add_buttons(app, DIALOG, dict.fromkeys(DialogAction, _choice), stale=STALE)
    # Files, voice, stickers and the like are routed too, so they get an answer, not silence.
    # Only new messages: edits never reach here (handlers/updates.py answers them).
    other = (
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & ~filters.COMMAND
        & ~filters.StatusUpdate.ALL
    )
    free = filters.UpdateType.MESSAGE & (
        (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.LOCATION | other
    )
    app.add_handler(MessageHandler(free, route), group=10)


async def stale_button(update: Update, context: CustomContext) -> None:
    """A press no feature recognises (old message, forged data): say so, change nothing."""
    query = update.callback_query
    if query is not None:
        await query.answer("该按钮已失效或无法识别，请按最新消息操作。", show_alert=True)


async def unknown_command(update: Update, context: CustomContext) -> None:
    """A command nobody registered: in a private chat, point to /help (groups stay quiet)."""
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await reply(update, "未知命令。发送 /help 查看您可以使用的命令。")


def register_fallbacks(app: Application) -> None:
    """Registered after every feature, so they only catch what nothing else handled."""
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
