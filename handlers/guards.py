"""Who may do what, where: every command and button goes through these checks."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Coroutine
from html import escape
from typing import Any

from telegram import CallbackQuery, Chat, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from handlers.context import CustomContext
from models.dto import PersonInfo
from models.enums import ROLE_LABELS, Role
from services.errors import Refusal
from services.people import who_is_asking

log = logging.getLogger("firegrid.guards")

NOT_REGISTERED = (
    "您尚未登记，暂不能使用该功能。请向三级办协调员索取邀请链接，打开链接即可完成登记。"
)
PRIVATE_ONLY = "请在与本机器人的私聊中使用该命令。"
GROUP_ONLY = "请在部门工作群中使用该命令。"
MAX_INPUT = 2000

Handler = Callable[[Update, CustomContext], Coroutine[Any, Any, None]]
GuardedHandler = Callable[[Update, CustomContext, PersonInfo], Coroutine[Any, Any, None]]


def display_name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "未知用户"
    return user.full_name or user.username or str(user.id)


def thread_of(update: Update) -> int | None:
    """The forum topic the update came from, if any."""
    message = update.effective_message
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


async def reply(update: Update, text: str, **kwargs: object) -> None:
    """Answer in the chat the update came from (HTML; callers escape user text)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, parse_mode=ParseMode.HTML, **kwargs)  # type: ignore[arg-type]
    elif update.effective_chat is not None:
        await update.get_bot().send_message(update.effective_chat.id, text, parse_mode="HTML")


async def answer_press(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press; one answered after Telegram's 15 s window is let go quietly.

    The press itself still counts (the database was re-checked); only the toast is lost, so
    the handler goes on to show the result instead of stopping half-way.
    """
    try:
        await query.answer(text[:190] if text else None, show_alert=alert)
    except BadRequest as exc:
        if "query is too old" not in exc.message.lower():
            raise
        log.info("a button press was answered too late for Telegram (over 15 s)")


async def refuse(update: Update, text: str) -> None:
    """Say no (plain text): as a popup for a button press, as an escaped reply for a message."""
    if update.callback_query is not None:
        await answer_press(update.callback_query, text, alert=True)
    else:
        await reply(update, escape(text, quote=False))


async def current_person(update: Update, context: CustomContext) -> PersonInfo | None:
    user = update.effective_user
    if user is None:
        return None
    async with context.rt.transaction() as session:
        return await who_is_asking(session, user.id, display_name(update), user.username)


def role_refusal(roles: Collection[Role]) -> str:
    labels = "、".join(ROLE_LABELS[r] for r in Role if r in roles)
    return f"该功能仅限{labels}使用。如需开通，请联系协调员。"


def guarded(
    *, roles: Collection[Role] | None, where: str = "private"
) -> Callable[[GuardedHandler], Handler]:
    """Wrap a handler: check chat kind, registration and role; turn Refusal into a reply."""

    def wrap(func: GuardedHandler) -> Handler:
        @functools.wraps(func)
        async def inner(update: Update, context: CustomContext) -> None:
            chat = update.effective_chat
            if where == "private" and (chat is None or chat.type != Chat.PRIVATE):
                await refuse(update, PRIVATE_ONLY)
                return
            if where == "group" and not in_group(update):
                await refuse(update, GROUP_ONLY)
                return
            person = await current_person(update, context)
            if person is None:
                await refuse(update, NOT_REGISTERED)
                return
            if roles is not None and person.role not in roles:
                await refuse(update, role_refusal(roles))
                return
            message = update.effective_message
            if message is not None and message.text and len(message.text) > MAX_INPUT:
                await refuse(
                    update, f"消息过长（{len(message.text)}字），请控制在{MAX_INPUT}字以内。"
                )
                return
            try:
                await func(update, context, person)
            except Refusal as refusal:
                await refuse(update, refusal.message)

        return inner

    return wrap


COORDINATOR = frozenset({Role.COORDINATOR})
