"""The fake Telegram world: people, chats, messages, files, pending updates, and the API entry."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html as html_lib
import itertools
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Bot, Update

from faketg.api import BotApi, ok
from faketg.errors import ApiError, FakeTelegramGap, UsageError
from faketg.faults import SEND_METHODS, Fault, FaultKind, Faults
from faketg.limits import LimitPolicy, RateLimits
from faketg.params import Params, UploadedFile
from faketg.records import (
    ApiCall,
    BotStatus,
    Button,
    CallbackRecord,
    ChatKind,
    ChatRecord,
    DocumentInfo,
    FileRecord,
    MessageKind,
    MessageRecord,
    PhotoInfo,
    UserRecord,
    ViewMessage,
)

if TYPE_CHECKING:
    from telegram.ext import Application

    from faketg.actors import Actor


class UpdateSink(Protocol):
    """What `attach` delivers to: an Application, or a router over several."""

    @property
    def bot(self) -> Bot: ...

    async def process_update(self, update: object) -> None: ...


# -- outcomes of one API call ------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status and Telegram's JSON body."""

    status: int
    body: Any


@dataclass(frozen=True)
class NoAnswer:
    """The call got no answer: a timeout or a broken connection."""

    kind: FaultKind  # TIMEOUT or NETWORK


@dataclass(frozen=True)
class Gap:
    """The bot used something the fake does not implement."""

    what: str


Outcome = Reply | NoAnswer | Gap

# Telegram's own 409 texts.
POLLING_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def _fault_outcome(fault: Fault) -> Outcome:
    error = fault.error()
    if error is None:
        return NoAnswer(fault.kind)
    return Reply(error.status, error.body())


def tiny_png(width: int, height: int, seed: int) -> bytes:
    """A valid solid-colour PNG, different for each seed (stands in for a person's photo)."""
    colour = bytes(((seed * 67) % 256, (seed * 131) % 256, (seed * 199) % 256))
    rows = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class FakeTelegram:
    """An in-memory Telegram for one bot: its chats, messages and the people in them.

    Thread-safe: the HTTP server may run it from its own thread while a test acts as people.
    """

    def __init__(
        self,
        bot_username: str = "firegrid_bot",
        bot_id: int = 7_000_000_001,
        *,
        bot_name: str = "消防网格哨",
        privacy_mode: bool = True,
        enforce_limits: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        limit_policy: LimitPolicy | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self.bot = UserRecord(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        # Telegram's own service account: the sender of service messages no test person caused.
        self.service_user = UserRecord(id=777000, first_name="Telegram")
        self.privacy_mode = privacy_mode
        self.wall_clock = wall_clock
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self.calls: list[ApiCall] = []
        self.unsupported: list[str] = []
        self.faults = Faults(lock=self._lock)
        self.limits: RateLimits | None = (
            RateLimits(clock=clock, policy=limit_policy or LimitPolicy())
            if enforce_limits
            else None
        )
        self._messages: dict[tuple[int, int], MessageRecord] = {}
        self._order: list[MessageRecord] = []
        self._by_chat: dict[int, list[MessageRecord]] = {}
        self._updates: list[dict[str, Any]] = []
        # setWebhook's parameters while a webhook is set (getUpdates then answers 409).
        self.webhook: dict[str, Any] | None = None
        # Each getUpdates takes the next number; a waiting one with an older number was
        # superseded by another poller and answers 409, as Telegram does.
        self._poll_generation = 0
        self._polls_waiting = 0
        # The newest update handed to the bot (a test delivers it again to replay it).
        self.last_update: dict[str, Any] | None = None
        self._app: Application[Any, Any, Any, Any, Any, Any] | UpdateSink | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._seq = itertools.count(1)
        self._update_ids = itertools.count(100_000_001)
        self._file_ids = itertools.count(1)
        self._group_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_group_ids = itertools.count(1)
        self._api = BotApi(self)

    # -- setting up the world -------------------------------------------------------------------

    @property
    def token(self) -> str:
        """A token whose id part is the bot's id (the fake accepts any token)."""
        return f"{self.bot.id}:FAKE-TOKEN"

    @property
    def bot_username(self) -> str:
        """The bot's @username without the @."""
        assert self.bot.username is not None
        return self.bot.username

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        *,
        language_code: str | None = "zh-hans",
        started: bool = False,
    ) -> Actor:
        """Create (or get) a person and their private chat with the bot (chat id == user id).

        As in Telegram, the bot cannot write to the person (403 "bot can't initiate
        conversation with a user") until they write in that chat (start() or any message);
        `started=True` says they did so before the test began (no update is sent).
        """
        from faketg.actors import Actor

        with self._lock:
            record = self.users.get(user_id)
            if record is None:
                record = UserRecord(
                    id=user_id,
                    first_name=first_name,
                    last_name=last_name,
                    username=username,
                    language_code=language_code,
                )
                self.users[user_id] = record
                self.chats[user_id] = ChatRecord(id=user_id, kind=ChatKind.PRIVATE, user=record)
            if started:
                record.started_bot = True
            return Actor(self, record)

    def actor(self, user_id: int) -> Actor:
        """The person with this id, created earlier with user()."""
        from faketg.actors import Actor

        with self._lock:
            record = self.users.get(user_id)
            if record is None:
                raise UsageError(f"no user {user_id}; create it with tg.user(...)")
            return Actor(self, record)

    def create_group(
        self,
        title: str,
        *,
        supergroup: bool = False,
        forum: bool = False,
        bot_member: bool = True,
        bot_admin: bool = False,
    ) -> int:
        """Create a group (negative id) or supergroup (-100... id); the bot is in it by default.

        No update is sent; use add_bot() on a group created with bot_member=False to have the
        bot receive the my_chat_member update of being added.
        """
        if forum and not supergroup:
            raise UsageError("only supergroups can be forums")
        with self._lock:
            n = next(self._group_ids)
            chat_id = -(1_002_100_000_000 + n) if supergroup else -(4_100_000_000 + n)
            status = BotStatus.LEFT
            if bot_member:
                status = BotStatus.ADMINISTRATOR if bot_admin else BotStatus.MEMBER
            self.chats[chat_id] = ChatRecord(
                id=chat_id,
                kind=ChatKind.SUPERGROUP if supergroup else ChatKind.GROUP,
                title=title,
                is_forum=forum,
                bot_status=status,
            )
            return chat_id

    def create_topic(self, chat_id: int, name: str) -> int:
        """Open a forum topic; returns its message_thread_id."""
        with self._lock:
            chat = self.chat(chat_id)
            if not chat.is_forum:
                raise UsageError(f"chat {chat_id} is not a forum")
            message = self.new_message(
                chat,
                self.service_user,
                MessageKind.SERVICE,
                service={"forum_topic_created": {"name": name, "icon_color": 7322096}},
            )
            message.thread_id = message.message_id
            chat.topics[message.message_id] = name
            return message.message_id

    def chat(self, chat_id: int) -> ChatRecord:
        """The chat record (for tests that inspect bot membership, migration, ...)."""
        with self._lock:
            chat = self.chats.get(chat_id)
            if chat is None:
                raise UsageError(f"no chat {chat_id}")
            return chat

    def migrate_group(self, chat_id: int) -> int:
        """Upgrade a group to a supergroup; returns the new id.

        State only: no update is delivered. Afterwards every call to the old id answers 400
        "group chat was upgraded to a supergroup chat" with parameters.migrate_to_chat_id.
        """
        with self._lock:
            old = self.chat(chat_id)
            if old.kind is not ChatKind.GROUP or old.migrated_to is not None:
                raise UsageError(f"chat {chat_id} is not a basic group")
            new_id = self.create_group(old.title or "", supergroup=True)
            new = self.chats[new_id]
            new.bot_status = old.bot_status
            old.migrated_to = new_id
            upgrade = {"migrate_to_chat_id": new_id}
            self.new_message(old, self.service_user, MessageKind.SERVICE, service=upgrade)
            origin = {"migrate_from_chat_id": chat_id}
            self.new_message(new, self.service_user, MessageKind.SERVICE, service=origin)
            self._notify()
            return new_id

    async def add_bot(self, chat_id: int, *, by: Actor, admin: bool = False) -> None:
        """A person adds the bot to a group: my_chat_member, then the new_chat_members message."""
        with self._lock:
            chat = self.chat(chat_id)
            old_status = chat.bot_status
            chat.bot_status = BotStatus.ADMINISTRATOR if admin else BotStatus.MEMBER
            member_update = self._my_chat_member(chat, by.record, old_status, chat.bot_status)
            service = self.new_message(
                chat,
                by.record,
                MessageKind.SERVICE,
                service={"new_chat_members": [self.bot.to_dict()]},
            )
            message_update = self.update("message", self.message_dict(service))
        await self.deliver(member_update)
        await self.deliver(message_update)

    async def remove_bot(self, chat_id: int, *, by: Actor) -> None:
        """A person removes (kicks) the bot from a group; later sends there answer 403."""
        with self._lock:
            chat = self.chat(chat_id)
            old_status = chat.bot_status
            chat.bot_status = BotStatus.KICKED
            update = self._my_chat_member(chat, by.record, old_status, BotStatus.KICKED)
        await self.deliver(update)

    def _member_dict(self, status: BotStatus) -> dict[str, Any]:
        data: dict[str, Any] = {"status": status.value, "user": self.bot.to_dict()}
        if status is BotStatus.KICKED:
            data["until_date"] = 0
        elif status is BotStatus.ADMINISTRATOR:
            data.update(
                {
                    key: key != "can_be_edited" and key != "is_anonymous"
                    for key in (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    )
                }
            )
        return data

    def _my_chat_member(
        self, chat: ChatRecord, by: UserRecord, old: BotStatus, new: BotStatus
    ) -> dict[str, Any]:
        return self.update(
            "my_chat_member",
            {
                "chat": chat.to_dict(),
                "from": by.to_dict(),
                "date": int(self.wall_clock()),
                "old_chat_member": self._member_dict(old),
                "new_chat_member": self._member_dict(new),
            },
        )

    # -- delivering updates -------------------------------------------------------------------

    def attach(self, app: Application[Any, Any, Any, Any, Any, Any] | UpdateSink) -> None:
        """Deliver people's actions straight to this (initialized) Application, or to anything
        that takes updates as one does (e.g. a test's round-robin over several)."""
        self._app = app

    def detach(self) -> None:
        """Queue people's actions for getUpdates again (polling mode)."""
        self._app = None

    @property
    def attached(self) -> bool:
        """Whether updates go straight to an Application."""
        return self._app is not None

    def update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A new Update JSON with the next update_id."""
        with self._lock:
            return {"update_id": next(self._update_ids), kind: payload}

    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand an update to the attached Application and wait for it, or queue it."""
        self.last_update = update
        app = self._app
        if app is None:
            with self._lock:
                self._updates.append(update)
                self._notify()
            return
        await app.process_update(Update.de_json(update, app.bot))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for getUpdates and not yet confirmed."""
        with self._lock:
            return list(self._updates)

    def drop_pending_updates(self) -> None:
        """Forget every queued update."""
        with self._lock:
            self._updates.clear()

    def _take_updates(self, params: Params) -> list[dict[str, Any]]:
        offset = params.integer("offset") or 0
        limit = max(1, min(100, params.integer("limit") or 100))
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        allowed = params.obj("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self._updates = [u for u in self._updates if any(k in u for k in allowed)]
        return self._updates[:limit]

    # -- waiting (only for a bot in another thread or process) --------------------------------

    def _notify(self) -> None:
        for loop, event in list(self._waiters):
            with suppress(RuntimeError):  # that loop is closed; its waiter is gone
                loop.call_soon_threadsafe(event.set)

    @contextmanager
    def _waiter(self) -> Iterator[asyncio.Event]:
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.append(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._waiters.remove(entry)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - the deadline is the point of this helper
    ) -> None:
        """Wait until predicate() holds, re-checking on every change; for a bot run elsewhere."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._waiter() as changed:
                with self._lock:
                    if predicate():
                        return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)

    # -- the Bot API entry point --------------------------------------------------------------

    async def call(
        self,
        method: str,
        raw_params: Mapping[str, object],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> Outcome:
        """Perform one Bot API call as Telegram would, faults and limits included."""
        key = method.lower()
        params = Params(raw_params)
        files = files or {}
        with self._lock:
            chat_id = _chat_id_of(params)
            fault = self.faults.match(key, chat_id)
            if fault is not None and not fault.delivered:
                outcome = _fault_outcome(fault)
                self._log(method, params, outcome, chat_id)
                return outcome
            if key == "getupdates" and self.webhook is not None:
                outcome = Reply(409, ApiError(409, WEBHOOK_CONFLICT).body())
                self._log(method, params, outcome, None)
                return outcome
            if key != "getupdates":
                outcome = self._dispatch(key, method, params, files)
                if fault is not None:
                    outcome = _fault_outcome(fault)
                self._log(method, params, outcome, chat_id)
                self._notify()
                return outcome
        return await self._long_poll(method, params, fault)

    def _dispatch(
        self, key: str, method: str, params: Params, files: Mapping[str, UploadedFile]
    ) -> Outcome:
        handler = self._api.handlers.get(key)
        if handler is None:
            what = f"Bot API method {method}"
            self.unsupported.append(what)
            return Gap(what)
        try:
            if self.limits is not None and key in SEND_METHODS:
                retry_after = self._admit(key, params)
                if retry_after is not None:
                    error = ApiError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
                    return Reply(429, error.body())
            return Reply(200, ok(handler(params, files)))
        except ApiError as error:
            return Reply(error.status, error.body())
        except FakeTelegramGap as gap:
            self.unsupported.append(str(gap))
            return Gap(str(gap))

    def _admit(self, key: str, params: Params) -> int | None:
        assert self.limits is not None
        chat = self.chats.get(_chat_id_of(params) or 0)
        if chat is None or chat.migrated_to is not None:
            return None  # the call fails on its own merits
        count = 1
        if key == "sendmediagroup":
            media = params.obj("media")
            count = len(media) if isinstance(media, list) else 1
        return self.limits.admit(chat.id, chat.is_group, count)

    @property
    def polling(self) -> bool:
        """Whether a getUpdates call is waiting now (a bot polls this token)."""
        with self._lock:
            return self._polls_waiting > 0

    async def _long_poll(self, method: str, params: Params, fault: Fault | None) -> Outcome:
        timeout = params.number("timeout") or 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._lock:
            # A newer getUpdates ends the one waiting (Telegram: "terminated by other
            # getUpdates request"), so two processes polling one token both see 409s.
            self._poll_generation += 1
            generation = self._poll_generation
            self._polls_waiting += 1
            self._notify()
        try:
            return await self._wait_for_updates(method, params, fault, generation, deadline)
        finally:
            with self._lock:
                self._polls_waiting -= 1

    async def _wait_for_updates(
        self, method: str, params: Params, fault: Fault | None, generation: int, deadline: float
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        while True:
            with self._waiter() as changed:
                with self._lock:
                    conflict = None
                    if self.webhook is not None:
                        conflict = WEBHOOK_CONFLICT
                    elif generation != self._poll_generation:
                        conflict = POLLING_CONFLICT
                    if conflict is not None:
                        reply = Reply(409, ApiError(409, conflict).body())
                        self._log(method, params, reply, None)
                        return reply
                    updates = self._take_updates(params)
                    remaining = deadline - loop.time()
                    if updates or remaining <= 0:
                        outcome: Outcome = Reply(200, ok(updates))
                        if fault is not None:  # taken but unanswered: they stay pending
                            outcome = _fault_outcome(fault)
                        self._log(method, params, outcome, None)
                        return outcome
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)

    def _log(self, method: str, params: Params, outcome: Outcome, chat_id: int | None) -> None:
        if isinstance(outcome, Reply):
            error = None if outcome.status == 200 else outcome.body.get("description")
            self.calls.append(ApiCall(method, params.snapshot(), outcome.status, error, chat_id))
        elif isinstance(outcome, NoAnswer):
            self.calls.append(ApiCall(method, params.snapshot(), None, outcome.kind, chat_id))
        else:
            self.calls.append(ApiCall(method, params.snapshot(), None, outcome.what, chat_id))

    def calls_to(self, method: str) -> list[ApiCall]:
        """The logged calls of one method (case-insensitive)."""
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def check(self) -> None:
        """Fail if the bot used anything the fake does not implement (call it in teardown)."""
        with self._lock:
            if self.unsupported:
                raise FakeTelegramGap(
                    "the bot used Bot API features the fake does not implement: "
                    + "; ".join(dict.fromkeys(self.unsupported))
                )

    # -- records (used by the API and the actors; caller holds the lock) ----------------------

    def new_message(
        self, chat: ChatRecord, sender: UserRecord, kind: MessageKind, **fields: Any
    ) -> MessageRecord:
        """Store a new message in a chat."""
        with self._lock:
            message = MessageRecord(
                seq=next(self._seq),
                chat_id=chat.id,
                message_id=chat.next_message_id,
                sender=sender,
                date=self.wall_clock(),
                kind=kind,
                **fields,
            )
            chat.next_message_id += 1
            if chat.kind is ChatKind.PRIVATE and chat.user is sender:
                # The person's first message in the private chat opens it for the bot.
                sender.started_bot = True
            self._messages[(chat.id, message.message_id)] = message
            self._order.append(message)
            self._by_chat.setdefault(chat.id, []).append(message)
            return message

    def find_message(self, chat_id: int, message_id: int) -> MessageRecord | None:
        """A message that exists and was not deleted."""
        message = self._messages.get((chat_id, message_id))
        return message if message is not None and not message.deleted else None

    def mark_edited(self, message: MessageRecord) -> None:
        """Record an edit."""
        message.edits += 1
        message.edit_date = self.wall_clock()

    def new_file(
        self,
        kind: str,
        data: bytes | None,
        file_name: str | None,
        mime_type: str | None,
        *,
        width: int | None = None,
        height: int | None = None,
    ) -> FileRecord:
        """Store a file under fresh ids."""
        n = next(self._file_ids)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        record = FileRecord(
            file_id=f"{prefix}FakeFile{n:06d}",
            file_unique_id=f"AQADFake{n:06d}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[record.file_id] = record
        return record

    def photo_sizes(self, file: FileRecord) -> list[dict[str, Any]]:
        """Telegram's PhotoSize list: a 90 px thumbnail (its own file) and the full size."""
        width, height = file.width or 1280, file.height or 960
        file.width, file.height = width, height
        sizes = []
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            thumb = self.new_file("photo", file.data, file.file_name, file.mime_type)
            thumb.width, thumb.height = max(1, round(width * scale)), max(1, round(height * scale))
            sizes.append(_photo_size(thumb))
        sizes.append(_photo_size(file))
        return sizes

    def document_dict(self, file: FileRecord) -> dict[str, Any]:
        """Telegram's Document object."""
        data: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.file_name:
            data["file_name"] = file.file_name
        if file.mime_type:
            data["mime_type"] = file.mime_type
        if file.size is not None:
            data["file_size"] = file.size
        return data

    def new_media_group_id(self) -> str:
        """A fresh album id."""
        return f"1340000000{next(self._media_group_ids):08d}"

    def new_callback(
        self, user: UserRecord, message: MessageRecord, data: str, *, age: float = 0.0
    ) -> CallbackRecord:
        """Register a button press (`age` seconds ago: a press that waited to be delivered)."""
        with self._lock:
            record = CallbackRecord(
                id=f"{user.id}{next(self._callback_ids):08d}",
                user_id=user.id,
                chat_id=message.chat_id,
                message_id=message.message_id,
                data=data,
                created_at=self.wall_clock() - age,
            )
            self.callbacks[record.id] = record
            return record

    def message_dict(self, message: MessageRecord, *, with_reply: bool = True) -> dict[str, Any]:
        """Telegram's Message object as it stands now."""
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(message.date),
            "chat": chat.to_dict(),
            "from": message.sender.to_dict(),
        }
        if message.thread_id is not None and chat.is_forum:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        if message.reply_to is not None and with_reply:
            replied = self._messages.get((message.chat_id, message.reply_to))
            if replied is not None:
                data["reply_to_message"] = self.message_dict(replied, with_reply=False)
        if message.edit_date is not None:
            data["edit_date"] = int(message.edit_date)
        text_key, entities_key = (
            ("text", "entities")
            if message.kind is MessageKind.TEXT
            else ("caption", "caption_entities")
        )
        if message.text:
            data[text_key] = message.text
            if message.entities:
                data[entities_key] = message.entities
        if message.photo is not None:
            data["photo"] = message.photo
        if message.document is not None:
            data["document"] = message.document
        if message.location is not None:
            data["location"] = message.location
        if message.media_group_id is not None:
            data["media_group_id"] = message.media_group_id
        if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.service:
            data.update(message.service)
        return data

    def bot_receives(self, chat: ChatRecord, message: MessageRecord) -> bool:
        """Whether Telegram delivers a person's message to the bot (privacy mode in groups)."""
        if chat.kind is ChatKind.PRIVATE:
            return True
        if chat.bot_status in (BotStatus.LEFT, BotStatus.KICKED):
            return False
        if not self.privacy_mode or chat.bot_can_read_all or message.service:
            return True
        if message.reply_to is not None:
            replied = self._messages.get((chat.id, message.reply_to))
            if replied is not None and replied.sender.id == self.bot.id:
                return True
        if message.kind is MessageKind.TEXT and message.text.startswith("/"):
            command = message.text.split(maxsplit=1)[0]
            _, _, target = command.partition("@")
            return not target or target.lower() == self.bot_username.lower()
        return False

    # -- what people see ----------------------------------------------------------------------

    def _view(self, message: MessageRecord) -> ViewMessage:
        markup = message.reply_markup or {}
        buttons = tuple(
            tuple(Button(b["text"], str(b.get("callback_data") or b.get("url") or "")) for b in row)
            for row in markup.get("inline_keyboard", [])
        )
        keyboard = tuple(
            tuple(b if isinstance(b, str) else str(b.get("text", "")) for b in row)
            for row in markup.get("keyboard", [])
        )
        location_buttons = tuple(
            str(b.get("text", ""))
            for row in markup.get("keyboard", [])
            for b in row
            if isinstance(b, dict) and b.get("request_location")
        )
        photo = None
        if message.photo:
            largest = message.photo[-1]
            photo = PhotoInfo(
                largest["file_id"], largest["file_unique_id"], largest["width"], largest["height"]
            )
        document = None
        if message.document:
            doc = message.document
            document = DocumentInfo(
                doc["file_id"],
                doc["file_unique_id"],
                doc.get("file_name"),
                doc.get("mime_type"),
                doc.get("file_size"),
            )
        location = None
        if message.location:
            location = (message.location["latitude"], message.location["longitude"])
        html = message.raw if message.parse_mode == "HTML" else html_lib.escape(message.text, False)
        return ViewMessage(
            chat_id=message.chat_id,
            message_id=message.message_id,
            sender_id=message.sender.id,
            from_bot=message.sender.id == self.bot.id,
            text=message.text,
            html=html,
            buttons=buttons,
            keyboard=keyboard,
            location_buttons=location_buttons,
            photo=photo,
            document=document,
            location=location,
            reply_to=message.reply_to,
            thread_id=message.thread_id,
            media_group_id=message.media_group_id,
            service=message.service,
            sent_at=dtm.datetime.fromtimestamp(message.date, dtm.UTC),
            edited_at=(
                dtm.datetime.fromtimestamp(message.edit_date, dtm.UTC)
                if message.edit_date is not None
                else None
            ),
            entities=tuple(message.entities),
        )

    def chat_view(self, chat_id: int, *, thread_id: int | None = None) -> list[ViewMessage]:
        """The chat as its members see it now: edits applied, deleted messages gone."""
        with self._lock:
            self.chat(chat_id)
            return [
                self._view(m)
                for m in self._by_chat.get(chat_id, [])
                if not m.deleted and (thread_id is None or m.thread_id == thread_id)
            ]

    def bot_messages(self, chat_id: int) -> list[ViewMessage]:
        """The bot's messages in a chat, oldest first."""
        return [m for m in self.chat_view(chat_id) if m.from_bot]

    def reply_keyboard(self, chat_id: int) -> list[list[Any]] | None:
        """The reply keyboard a chat shows now: the newest bot message that set or removed one."""
        with self._lock:
            for message in reversed(self._by_chat.get(chat_id, [])):
                markup = message.reply_markup
                if message.deleted or markup is None or message.sender.id != self.bot.id:
                    continue
                if "keyboard" in markup:
                    return list(markup["keyboard"])
                if "remove_keyboard" in markup:
                    return None
            return None

    def last_message(self, chat_id: int) -> ViewMessage:
        """The bot's newest message in a chat."""
        messages = self.bot_messages(chat_id)
        if not messages:
            raise UsageError(f"the bot has sent nothing to chat {chat_id}")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> ViewMessage:
        """One message as it stands now."""
        with self._lock:
            record = self.find_message(chat_id, message_id)
            if record is None:
                raise UsageError(f"no message {message_id} in chat {chat_id}")
            return self._view(record)

    def all_messages(self) -> list[ViewMessage]:
        """Every message in every chat, in the order sent (deleted ones left out)."""
        with self._lock:
            return [self._view(m) for m in self._order if not m.deleted]

    def count_messages(self, chat_id: int | None = None, *, from_bot: bool | None = None) -> int:
        """How many messages a chat (or every chat) shows; cheap enough to poll in wait_until."""
        with self._lock:
            records = self._order if chat_id is None else self._by_chat.get(chat_id, [])
            return sum(
                1
                for m in records
                if not m.deleted and (from_bot is None or (m.sender.id == self.bot.id) == from_bot)
            )

    def transcript(self, chat_id: int | None = None) -> str:
        """A readable log of the conversation(s), for failing tests and demos."""
        lines = []
        with self._lock:
            for m in self._order:
                if m.deleted or (chat_id is not None and m.chat_id != chat_id):
                    continue
                chat = self.chats[m.chat_id]
                where = chat.title or f"DM {chat.user.full_name if chat.user else chat.id}"
                who = "BOT" if m.sender.id == self.bot.id else m.sender.full_name
                view = self._view(m)
                body = view.text
                if view.photo:
                    body = f"[photo] {body}"
                elif view.document:
                    body = f"[document {view.document.file_name}] {body}"
                elif view.location:
                    body = f"[location {view.location[0]:.5f},{view.location[1]:.5f}]"
                elif view.service:
                    body = f"[service {', '.join(view.service)}]"
                if view.buttons:
                    body += "  " + " ".join(f"[{label}]" for label in view.button_labels)
                edited = " (edited)" if m.edits else ""
                lines.append(f"{where} #{m.message_id} {who}{edited}: {body}")
        return "\n".join(lines)

    def _file_of(self, message: ViewMessage | MessageRecord, kind: str) -> FileRecord:
        view = message if isinstance(message, ViewMessage) else self._view(message)
        info = view.document if kind == "document" else view.photo
        if info is None:
            raise UsageError(f"message {view.message_id} in chat {view.chat_id} has no {kind}")
        file = self.files[info.file_id]
        if file.data is None:
            raise UsageError(f"the {kind} of message {view.message_id} was sent by URL: no bytes")
        return file

    def document_bytes(self, message: ViewMessage) -> bytes:
        """The bytes of a document the bot uploaded (open a .docx/.xlsx with them)."""
        with self._lock:
            data = self._file_of(message, "document").data
            assert data is not None
            return data

    def photo_bytes(self, message: ViewMessage) -> bytes:
        """The bytes of a photo the bot uploaded (or a person sent)."""
        with self._lock:
            data = self._file_of(message, "photo").data
            assert data is not None
            return data

    def file_bytes(self, file_path: str) -> bytes | None:
        """Bytes served at /file/bot<token>/<file_path> (getFile's path)."""
        unique = file_path.removeprefix("files/")
        with self._lock:
            for file in self.files.values():
                if file.file_unique_id == unique:
                    return file.data
        return None

    def commands_for(self, chat_id: int, user_id: int | None = None) -> list[tuple[str, str]]:
        """The command menu a person sees in a chat, resolved by Telegram's scope order."""
        with self._lock:
            chat = self.chat(chat_id)
            person = self.users.get(user_id if user_id is not None else chat_id)
            language = (person.language_code or "")[:2] if person else ""
            scopes: list[tuple[str, int | None, int | None]]
            if chat.kind is ChatKind.PRIVATE:
                scopes = [("chat", chat.id, None), ("all_private_chats", None, None)]
            else:
                scopes = [
                    ("chat_member", chat.id, user_id),
                    ("chat", chat.id, None),
                    ("all_group_chats", None, None),
                ]
            scopes.append(("default", None, None))
            for scope_type, scope_chat, scope_user in scopes:
                for lang in (language, "") if language else ("",):
                    found = self.commands.get((scope_type, scope_chat, scope_user, lang))
                    if found is not None:
                        return [(c["command"], c["description"]) for c in found]
            return []


def _photo_size(file: FileRecord) -> dict[str, Any]:
    size: dict[str, Any] = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "width": file.width,
        "height": file.height,
    }
    if file.size is not None:
        size["file_size"] = file.size
    return size


def _chat_id_of(params: Params) -> int | None:
    """The call's chat_id when it is a number (for fault matching and limits)."""
    try:
        return params.integer("chat_id")
    except ApiError:
        return None
