"""A fake Telegram for tests and demos: chats, messages, people, failures; no network.

In-process (bot tests)::

    tg = FakeTelegram(bot_username="firegrid_bot")          # privacy_mode=True like Telegram
    app = (Application.builder().token(tg.token)
           .request(FakeRequest(tg)).get_updates_request(FakeRequest(tg)).build())
    async with app:                                        # initialize: getMe
        tg.attach(app)                                     # actions -> app.process_update
        coordinator = tg.user(1001, "丽", "王", username="wangli")
        group = tg.create_group("消防大队", supergroup=True)  # -100...; bot is a member
        await coordinator.send(group, "/bind fire")        # bot_command entity, /cmd@bot too
        view = tg.chat_view(group)                         # list[ViewMessage], edits applied
        answer = await coordinator.press(group, "报到")      # CallbackAnswer(text, show_alert)
        tg.check()                                         # fails if the bot used a missing method

The world (FakeTelegram):
    user(user_id, first_name, last_name=None, username=None, *, started=False) -> Actor
        (private chat id == id; the bot may write there once the person wrote there)
    actor(user_id) -> Actor;  create_group(title, *, supergroup=False, forum=False,
    bot_member=True, bot_admin=False) -> chat_id;  create_topic(chat_id, name) -> thread_id
    await add_bot(chat_id, by=actor) / await remove_bot(chat_id, by=actor)   (my_chat_member)
    migrate_group(chat_id) -> new_id   (old id then answers 400 + migrate_to_chat_id)
    chat_view(chat_id, thread_id=None), bot_messages(chat_id), last_message(chat_id),
    message(chat_id, message_id), all_messages(), transcript(chat_id=None),
    count_messages(chat_id=None, from_bot=None)  (cheap: poll it in wait_until)
    document_bytes(view) / photo_bytes(view) -> bytes of what the bot uploaded
    commands_for(chat_id, user_id=None) -> [(command, description)] the menu a person sees
    commands (raw, per scope), callbacks (presses and their answers), calls (every API call:
    ApiCall(method, params, status, error, chat_id)), calls_to(method), pending_updates()
    faults (see below), limits (RateLimits when enforce_limits=True: .rejected counts 429s)
    attach(app) / detach();  await wait_until(predicate, timeout)  (only for a bot elsewhere)

An Actor (a person):
    await send(chat_id, text, *, thread_id=None, reply_to=None) -> ViewMessage
    await start(payload=None);  await send_photo(chat_id, caption=None, ..., data=None)
    await send_location(chat_id, lat, lon, *, live_period=None);  await block_bot() / unblock_bot()
    await tap_keyboard(chat_id, label, *, location=None, live_period=None)  (the reply keyboard
      shown now, tg.reply_keyboard(chat_id); a request_location button shares `location`)
    await press(chat_id, label, *, message_id=None, age=0.0) -> CallbackAnswer | None
    await press_data(chat_id, message_id, data, *, age=0.0) -> CallbackAnswer | None (forged data)
      (answers are refused 15 s after the press, by the wall clock: age=20 makes it too late)
    await edit(chat_id, message_id, text) -> ViewMessage   (edited_message, as Telegram sends it)
Replaying: tg.update(kind, payload) builds an Update with the next update_id; deliver(update)
hands it over, so delivering the same dict twice is Telegram redelivering it; tg.last_update
is the newest one handed over.
Group messages reach the bot as Telegram's privacy mode allows: commands, replies to the bot,
service messages; everything when the bot is admin or FakeTelegram(privacy_mode=False).

Faults (tg.faults), each optionally per method (name, names or SEND_METHODS) and chat_id,
`times` calls (None: until removed); without `method` any call matches, getUpdates included:
    rate_limit(retry_after=1)  -> 429, PTB raises RetryAfter
    server_error(status=502)   -> NetworkError;  timeout() -> TimedOut;  network_error()
    forbidden(description=KICKED_FROM_GROUP | BLOCKED_BY_USER | NOT_STARTED) -> Forbidden
    bad_request(description);  outage(on=True, kind=FaultKind.NETWORK);  remove(f); clear()
    timeout/network_error/server_error(delivered=True): the call takes effect, the answer is lost.
    hits: every failed call.
Polling and webhooks, as Telegram: a getUpdates arriving while another waits ends the waiting
one with 409 "Conflict: terminated by other getUpdates request" (tg.polling says whether one
waits); setWebhook (https URL, secret_token checked, allowed_updates) makes getUpdates answer
409 until deleteWebhook; tg.webhook holds the parameters set, getWebhookInfo reports them.
Limits: FakeTelegram(enforce_limits=True, clock=time.monotonic) answers 429 above 30 msg/s
overall, 20/min per group, 1/s per private chat (leaky buckets), counting tg.limits.rejected.

Over HTTP (a real `firegrid run` subprocess): `server = serve(tg)` (background thread, own
loop); give the bot TELEGRAM_API_BASE_URL=server.base_url; act and inject faults on `tg` as
above; `server.stop()`. `python -m faketg.server --port N` runs one alone.

Telegram's limits and error texts are kept: text 1..4096 after entity parsing, caption 1024,
callback_data 1..64 bytes (BUTTON_DATA_INVALID), HTML validated ("can't parse entities: ..."),
"message is not modified", "chat not found", "message to be replied not found", 403 kicked or
blocked, and 403 "bot can't initiate conversation with a user" for a person who has not yet
written in their private chat with the bot (any message there, e.g. start(), opens it;
tg.user(..., started=True) for one who did so before the test). Any other Bot API method or
option raises FakeTelegramGap (an AssertionError, wrapped by PTB in NetworkError) and is
listed by tg.check().
"""

from typing import TYPE_CHECKING, Any

from faketg.actors import Actor
from faketg.errors import ApiError, FakeTelegramGap, UsageError
from faketg.faults import (
    BLOCKED_BY_USER,
    KICKED_FROM_GROUP,
    KICKED_FROM_SUPERGROUP,
    NOT_STARTED,
    SEND_METHODS,
    Fault,
    FaultKind,
    Faults,
)
from faketg.limits import LimitPolicy, RateLimits
from faketg.records import (
    ApiCall,
    BotStatus,
    Button,
    CallbackAnswer,
    ChatKind,
    DocumentInfo,
    PhotoInfo,
    ViewMessage,
)
from faketg.request import FakeRequest
from faketg.state import FakeTelegram

if TYPE_CHECKING:
    from faketg.server import FakeTelegramServer, serve


def __getattr__(name: str) -> Any:
    """Import the HTTP server lazily, so `python -m faketg.server` runs it cleanly."""
    if name in ("FakeTelegramServer", "serve"):
        from faketg import server

        return getattr(server, name)
    raise AttributeError(name)


__all__ = [
    "BLOCKED_BY_USER",
    "KICKED_FROM_GROUP",
    "KICKED_FROM_SUPERGROUP",
    "NOT_STARTED",
    "SEND_METHODS",
    "Actor",
    "ApiCall",
    "ApiError",
    "BotStatus",
    "Button",
    "CallbackAnswer",
    "ChatKind",
    "DocumentInfo",
    "FakeRequest",
    "FakeTelegram",
    "FakeTelegramGap",
    "FakeTelegramServer",
    "Fault",
    "FaultKind",
    "Faults",
    "LimitPolicy",
    "PhotoInfo",
    "RateLimits",
    "UsageError",
    "ViewMessage",
    "serve",
]
