"""Before and after every feature: edited messages and redelivered updates change nothing.

- An **edited message** is never a new answer or command. PTB's CommandHandler listens to
  edited messages by default (filters.UpdateType.MESSAGES) and MessageHandler filters such as
  filters.TEXT match them too, so an edit of "12" to "77" answered the next question and an
  edited /remind_now sent a second reminder. One handler, ahead of every feature, takes all
  edits and stops there (ApplicationHandlerStop): a short hint in a private chat; in a group
  only when the edit was a command to the bot or an answer in the person's conversation
  there, so ordinary group chatter stays unanswered.
- The **same update delivered twice** (by update_id) is handled once: looked up before any
  handler, recorded after all of them (services/updates.py explains why in that order).
"""

from __future__ import annotations

import logging

from telegram import Chat, Message, MessageEntity, Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from handlers.context import CommandSpec, CustomContext
from handlers.guards import reply
from services.dialogs import get_dialog
from services.updates import mark_processed

log = logging.getLogger("firegrid.updates")

COMMANDS: list[CommandSpec] = []
EDIT_HINT = "已收到修改。如需更改答案，请在确认页点‘修改’。"
COMMAND_EDIT_HINT = "已收到修改。修改后的命令不会再次执行；如需重新操作，请重新发送命令。"
# Handler groups: the look-up runs before every feature (group 0 and later), the edit handler
# right after it, the record after them all.
FIRST_GROUP = -100
EDITS_GROUP = -90
LAST_GROUP = 1000


async def skip_repeats(update: object, context: CustomContext) -> None:
    """An update handled before (Telegram delivered it again) goes no further."""
    if not isinstance(update, Update):
        return
    handled = context.bot_data.handled_updates
    try:
        seen = handled.known(update.update_id)
        if seen is None:
            async with context.rt.transaction() as session:
                seen = await handled.seen(session, update.update_id, context.rt.now())
    except Exception as exc:  # the database is down: let the feature answer (and apologise)
        log.debug("could not look up update %d: %s", update.update_id, exc)
        return
    if seen:
        log.info("update %d was handled before (delivered again): skipped", update.update_id)
        raise ApplicationHandlerStop


async def record_processed(update: object, context: CustomContext) -> None:
    """After every feature: this update_id is done (a redelivery will be skipped)."""
    if not isinstance(update, Update):
        return
    try:
        async with context.rt.transaction() as session:
            await mark_processed(session, update.update_id, context.rt.now())
    except Exception as exc:  # nothing to tell the person; the draft guard still holds
        log.warning("could not record update %d as handled: %s", update.update_id, exc)
        return
    if context.bot_data.handled_updates.floor is not None:
        context.bot_data.handled_updates.handled(update.update_id)


def _command(message: Message, bot_username: str) -> bool:
    """Whether the message is a command for this bot (bare /cmd, or /cmd@this_bot)."""
    entities = message.entities or ()
    first = entities[0] if entities else None
    if first is None or first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return False
    command = (message.text or "")[: first.length]
    _, _, target = command.partition("@")
    return not target or target.lower() == bot_username.lower()


async def _acted_on(update: Update, context: CustomContext, message: Message) -> str | None:
    """The hint for an edit the bot would have acted on as a new message, else None."""
    chat, user = message.chat, message.from_user
    if user is None or user.is_bot:
        return None
    if _command(message, context.rt.bot_username):
        return COMMAND_EDIT_HINT
    if chat.type == Chat.PRIVATE:
        return EDIT_HINT
    async with context.rt.transaction() as session:
        dialog = await get_dialog(session, user.id, chat.id)
    return EDIT_HINT if dialog is not None else None


async def on_edit(update: Update, context: CustomContext) -> None:
    """An edited message: nothing changes; a hint where the edit looked like an answer."""
    message = update.edited_message
    try:
        hint = await _acted_on(update, context, message) if message is not None else None
        if hint is not None:
            await reply(update, hint)
    except Exception as exc:  # the hint is a courtesy: the edit must still stop here
        log.warning("could not answer an edited message: %s: %s", type(exc).__name__, exc)
    await record_processed(update, context)
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, skip_repeats), group=FIRST_GROUP)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, on_edit), group=EDITS_GROUP)
    app.add_handler(TypeHandler(Update, record_processed), group=LAST_GROUP)
