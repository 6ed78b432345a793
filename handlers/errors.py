"""Last line of defence: log the failure, tell the person briefly, never show a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError

from handlers.context import CustomContext

log = logging.getLogger("firegrid.errors")

SORRY = "抱歉，系统处理该请求时出现问题，已记录。请稍后重试；如多次出现，请联系协调员。"


def answered_too_late(error: object) -> bool:
    """Telegram refused the answer to a press: more than 15 s passed since it was pressed."""
    return isinstance(error, BadRequest) and "query is too old" in error.message.lower()


async def on_error(update: object, context: CustomContext) -> None:
    """PTB error handler: one log line with the kind of error, a short apology in the chat.

    A press answered after Telegram's 15-second window is not a failure worth an apology (the
    person only missed a toast, and the answer would fail the same way): one quiet log line.
    """
    error = context.error
    if answered_too_late(error):
        log.info("a button press was answered too late for Telegram (over 15 s): %s", error)
        return
    chat = update.effective_chat if isinstance(update, Update) else None
    log.error(
        "handler failed: %s: %s",
        type(error).__name__,
        error,
        exc_info=error,
        extra={"chat": chat.id if chat is not None else None},
    )
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SORRY[:190], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(SORRY)
    except TelegramError as exc:
        log.warning("could not tell the user about the failure: %s", exc)
