"""Buttons both ways: `keyboard` sends the services' Buttons, the guard receives the presses.

The button guard: what `@guarded` is for commands, `add_buttons` is for callback queries.

A feature declares its buttons once, as a codec (services/buttons.py) and a table
action → handler:

    add_buttons(app, CASE, {CaseAction.ACK: _ack, ...}, stale=STALE)

and each handler receives the person and the decoded press: `press.action`, `press.id(0)`.
The guard decodes first (forged or stale data never reaches the database, not even to
refresh a name), checks the kind of chat and the registration, turns a Refusal into a
popup, and answers every press exactly once (Telegram keeps the spinner turning otherwise,
and refuses a second answer).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from html import escape
from typing import Generic

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from handlers.context import CustomContext
from handlers.guards import (
    NOT_REGISTERED,
    PRIVATE_ONLY,
    Handler,
    answer_press,
    current_person,
    reply,
)
from models.dto import PersonInfo
from models.period import MonthPeriod
from services.buttons import A, Codec, Decoded, Value
from services.errors import Refusal
from services.outbox import Button

log = logging.getLogger(__name__)

MAX_ANSWER = 190  # Telegram allows 200 characters in a popup


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """The services' buttons as an inline keyboard (None without rows): a URL or callback data."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url is not None
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


class Press(Generic[A]):
    """A press the codec understood: its action, values, and the one answer it may get."""

    def __init__(self, query: CallbackQuery, decoded: Decoded[A]) -> None:
        self.query = query
        self.decoded = decoded
        self.answered = False

    @property
    def action(self) -> A:
        return self.decoded.action

    @property
    def values(self) -> tuple[Value, ...]:
        return self.decoded.values

    def id(self, index: int) -> int:
        return self.decoded.id(index)

    def text(self, index: int) -> str:
        return self.decoded.text(index)

    def day(self, index: int) -> date:
        return self.decoded.day(index)

    def month(self, index: int) -> MonthPeriod:
        return self.decoded.month(index)

    async def answer(self, text: str | None = None, *, show_alert: bool = False) -> None:
        """Answer the press (a popup when show_alert); a later call does nothing.

        After Telegram's 15 s window the answer is refused ("query is too old"): that is let
        go quietly, so the handler still shows what the press did.
        """
        if self.answered:
            return
        self.answered = True
        await answer_press(self.query, text[:MAX_ANSWER] if text else None, alert=show_alert)


ButtonHandler = Callable[[Update, CustomContext, PersonInfo, Press[A]], Awaitable[None]]


def button_guard(
    codec: Codec[A],
    routes: Mapping[A, ButtonHandler[A]],
    *,
    stale: str,
    where: str = "any",
    wrong_chat: str = PRIVATE_ONLY,
) -> Handler:
    """The callback for a feature's buttons: decode, check, dispatch, answer."""
    missing = set(codec.actions) - set(routes)
    assert not missing, f"buttons without a handler: {sorted(missing)}"

    async def on_button(update: Update, context: CustomContext) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        decoded = codec.decode(query.data or "")
        if decoded is None:
            # Old, forged or garbled: say so, change nothing (and log it quietly).
            log.info("stale button %r from %s", (query.data or "")[:64], query.from_user.id)
            await query.answer(stale[:MAX_ANSWER], show_alert=True)
            return
        press = Press(query, decoded)
        if where == "private" and chat.type != Chat.PRIVATE:
            await press.answer(wrong_chat, show_alert=True)
            return
        person = await current_person(update, context)
        if person is None:
            await press.answer(NOT_REGISTERED, show_alert=True)
            return
        try:
            await routes[decoded.action](update, context, person, press)
        except Refusal as refusal:
            if press.answered:  # the popup is spent: say it in the chat
                await reply(update, escape(refusal.message, quote=False))
            else:
                await press.answer(refusal.message, show_alert=True)
            return
        await press.answer()

    return on_button


def add_buttons(
    app: Application,
    codec: Codec[A],
    routes: Mapping[A, ButtonHandler[A]],
    *,
    stale: str,
    where: str = "any",
    wrong_chat: str = PRIVATE_ONLY,
) -> None:
    """Register a feature's buttons (its prefix) behind the guard."""
    callback = button_guard(codec, routes, stale=stale, where=where, wrong_chat=wrong_chat)
    app.add_handler(CallbackQueryHandler(callback, pattern=codec.pattern))
