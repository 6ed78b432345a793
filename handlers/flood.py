"""Flood control at the door: before any feature (and before the redelivery look-up), each
message or press is counted against its person's budget (services/flood.py explains the rules).

An ignored update costs no database statement once the person's registration is known (kept
in memory for a few minutes) and sends nothing; the one "too fast" answer is a popup for a
press and a reply for a message. In a group only what is addressed to the bot counts (commands
and presses), so ordinary chatter the bot sees as a group admin never uses anyone's budget.
"""

from __future__ import annotations

import logging

from telegram import Chat, Message, Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.context import BotData, CommandSpec, CustomContext
from handlers.guards import refuse
from services.flood import TOO_FAST, FloodGate, Verdict
from services.people import is_registered

log = logging.getLogger("firegrid.flood")

COMMANDS: list[CommandSpec] = []
DOOR_GROUP = -200  # before handlers/updates.py (-100): an ignored update is not even looked up


def _counts(message: Message) -> bool:
    if message.chat.type == Chat.PRIVATE:
        return True
    return (message.text or "").startswith("/")


def _invitation(message: Message) -> bool:
    """/start with a code: a person redeeming an invitation always gets in."""
    parts = (message.text or "").split()
    return len(parts) == 2 and parts[0].split("@")[0] == "/start"


def settled(update: object, data: BotData) -> bool:
    """For the update processor: an update the door would certainly ignore (memory only, no
    context built, nothing sent); anything else goes through PTB and the door as usual."""
    if not isinstance(update, Update) or data.flood is None or data.runtime is None:
        return False
    user = update.effective_user
    message = update.message or update.edited_message
    if user is None or user.is_bot or (message is None and update.callback_query is None):
        return False
    if message is not None and (not _counts(message) or _invitation(message)):
        return False
    album = message.media_group_id if message is not None else None
    return data.flood.settled(user.id, data.runtime.now(), album=album)


def gate_of(context: CustomContext) -> FloodGate:
    data = context.bot_data
    if data.flood is None:
        data.flood = FloodGate(context.rt.org.flood)
    return data.flood


async def door(update: object, context: CustomContext) -> None:
    """Count one message or press; over the budget it stops here (ApplicationHandlerStop)."""
    if not isinstance(update, Update):
        return
    user = update.effective_user
    message = update.message or update.edited_message
    if user is None or user.is_bot or (message is None and update.callback_query is None):
        return
    if message is not None and not _counts(message):
        return
    gate = gate_of(context)
    rt = context.rt
    now = rt.now()
    if message is not None and update.message is not None and _invitation(message):
        gate.forget(user.id)
        return
    if gate.needs_lookup(user.id, now):
        try:
            async with rt.transaction() as session:
                registered = await is_registered(session, user.id)
        except Exception as exc:  # the database is down: let the feature answer (and apologise)
            log.debug("could not look up user %d: %s", user.id, exc)
            return
        gate.learn(user.id, registered, now)
    verdict = gate.admit(user.id, now, album=message.media_group_id if message else None)
    if verdict is Verdict.PASS:
        return
    if verdict is Verdict.WARN:
        log.info("user %d is over the per-minute budget: told once, ignored for now", user.id)
        await refuse(update, TOO_FAST)
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, door), group=DOOR_GROUP)
