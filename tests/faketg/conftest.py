"""A tiny real PTB Application on the fake Telegram: /echo, a confirm button, a photo handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from faketg import FakeRequest, FakeTelegram, FakeTelegramServer


@dataclass
class Seen:
    """What the handlers received, for assertions."""

    updates: list[Update] = field(default_factory=list)
    member_changes: list[tuple[str, str]] = field(default_factory=list)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the arguments in bold with a confirm button."""
    assert update.effective_message is not None
    words = " ".join(context.args or [])
    await update.effective_message.reply_html(
        f"<b>收到</b>：{words}",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("确认", callback_data="confirm:1")]]
        ),
        do_quote=False,
    )


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer with a popup and edit the message (which drops its keyboard)."""
    query = update.callback_query
    assert query is not None
    if query.data != "confirm:1":
        await query.answer("该按钮已失效。", show_alert=True)
        return
    await query.answer("已收到，谢谢", show_alert=True)
    await query.edit_message_text("已确认")


def build_app(
    tg: FakeTelegram, seen: Seen, *, server: FakeTelegramServer | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application the tests drive: in-process, or over HTTP when a server is given."""
    builder = Application.builder().token("123:ABC")
    if server is None:
        builder = builder.request(FakeRequest(tg)).get_updates_request(FakeRequest(tg))
    else:
        builder = builder.base_url(server.base_url).base_file_url(server.base_file_url)
    app = builder.build()

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.updates.append(update)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        assert change is not None
        seen.member_changes.append((change.old_chat_member.status, change.new_chat_member.status))

    app.add_handler(MessageHandler(filters.ALL, record), group=-1)
    app.add_handler(CommandHandler("echo", echo))
    app.add_handler(CallbackQueryHandler(confirm))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


@pytest.fixture
def tg() -> FakeTelegram:
    return FakeTelegram(bot_username="firegrid_bot")


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def app(
    tg: FakeTelegram, seen: Seen
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = build_app(tg, seen)
    async with application:
        tg.attach(application)
        yield application
