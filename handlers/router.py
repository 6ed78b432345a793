"""Routes free messages (text, photos, locations) to the conversation the person is in.

Conversation state lives in the database (services/dialogs.py), so after a restart the next
message lands in the same step. Features register a DialogRoutes per dialog kind, and trigger
words that start a conversation from plain text (e.g. 吹哨).
"""

from __future__ import annotations

import re

from telegram import Chat, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.context import CommandSpec, CustomContext, DialogRoutes, Trigger, TriggerHandler
from handlers.guards import MAX_INPUT, NOT_REGISTERED, current_person, refuse, reply
from models.dto import PersonInfo
from models.enums import Role
from services.dialogs import clear_dialog, get_dialog
from services.errors import Refusal

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
                await clear_dialog(session, user.id, chat.id)
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
    await reply(update, "未能识别该消息。发送 /help 查看可用命令。")


async def cancel(update: Update, context: CustomContext) -> None:
    """/cancel: leave whatever conversation the person is in (answers given so far are kept)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    async with context.rt.transaction() as session:
        dialog = await get_dialog(session, user.id, chat.id)
        if dialog is not None:
            await clear_dialog(session, user.id, chat.id)
    if dialog is None:
        await reply(update, "当前没有进行中的操作。")
    else:
        routes = context.bot_data.dialogs.get(dialog.kind)
        title = routes.title if routes else "当前操作"
        await reply(update, f"已取消：{title}。")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel))
    # Files, voice, stickers and the like are routed too, so they get an answer, not silence.
    other = (
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & ~filters.COMMAND
        & ~filters.StatusUpdate.ALL
    )
    free = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.LOCATION | other
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
