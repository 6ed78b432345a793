"""Acting as a person: send text and commands, photos, locations; press inline buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faketg.errors import UsageError
from faketg.html import bot_command_entities
from faketg.records import (
    BotStatus,
    CallbackAnswer,
    ChatKind,
    ChatRecord,
    MessageKind,
    MessageRecord,
    UserRecord,
    ViewMessage,
)

if TYPE_CHECKING:
    from faketg.state import FakeTelegram

# How long press() waits for the answer of a bot that polls from another thread or process.
POLLING_ANSWER_TIMEOUT = 10.0


class Actor:
    """One person in the fake Telegram; every action builds a real Update and delivers it.

    With an attached Application each action returns once the bot has handled it; otherwise the
    update is queued for getUpdates.
    """

    def __init__(self, world: FakeTelegram, record: UserRecord) -> None:
        self.world = world
        self.record = record

    def __repr__(self) -> str:
        return f"Actor({self.record.id}, {self.record.full_name!r})"

    @property
    def id(self) -> int:
        """The person's Telegram user id (also the id of their private chat with the bot)."""
        return self.record.id

    @property
    def chat_id(self) -> int:
        """The private chat with the bot."""
        return self.record.id

    @property
    def name(self) -> str:
        """First and last name."""
        return self.record.full_name

    def _chat(self, chat_id: int) -> ChatRecord:
        chat = self.world.chat(chat_id)
        if chat.kind is ChatKind.PRIVATE and chat.id != self.id:
            raise UsageError(f"{self!r} cannot write in the private chat of user {chat.id}")
        if chat.migrated_to is not None:
            raise UsageError(f"chat {chat_id} became supergroup {chat.migrated_to}")
        if chat.kind is ChatKind.PRIVATE and self.record.blocked_bot:
            raise UsageError(f"{self!r} blocked the bot; call unblock_bot() first")
        return chat

    def _thread(self, chat: ChatRecord, thread_id: int | None) -> int | None:
        if thread_id is not None and thread_id not in chat.topics:
            raise UsageError(f"no topic {thread_id} in chat {chat.id}")
        return thread_id

    async def _post(self, chat: ChatRecord, message: MessageRecord) -> ViewMessage:
        """Deliver a person's new message if Telegram would show it to the bot."""
        with self.world._lock:
            receives = self.world.bot_receives(chat, message)
            update = (
                self.world.update("message", self.world.message_dict(message)) if receives else None
            )
            self.world._notify()
            view = self.world.message(chat.id, message.message_id)
        if update is not None:
            await self.world.deliver(update)
        return view

    def _reply_thread(
        self, chat: ChatRecord, thread_id: int | None, reply_to: int | None
    ) -> tuple[int | None, int | None]:
        thread_id = self._thread(chat, thread_id)
        if reply_to is not None:
            replied = self.world.find_message(chat.id, reply_to)
            if replied is None:
                raise UsageError(f"no message {reply_to} to reply to in chat {chat.id}")
            if thread_id is None:
                thread_id = replied.thread_id
        return thread_id, reply_to

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> ViewMessage:
        """Send text; commands (also /cmd@bot) get bot_command entities like in Telegram."""
        if not text.strip():
            raise UsageError("Telegram does not send empty messages")
        with self.world._lock:
            chat = self._chat(chat_id)
            thread_id, reply_to = self._reply_thread(chat, thread_id, reply_to)
            message = self.world.new_message(
                chat,
                self.record,
                MessageKind.TEXT,
                text=text,
                raw=text,
                entities=bot_command_entities(text),
                thread_id=thread_id,
                reply_to=reply_to,
            )
        return await self._post(chat, message)

    async def start(self, payload: str | None = None) -> ViewMessage:
        """Open the private chat with /start (a deep link's payload appended, as Telegram does)."""
        return await self.send(self.chat_id, f"/start {payload}" if payload else "/start")

    async def send_photo(
        self,
        chat_id: int,
        caption: str | None = None,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        data: bytes | None = None,
    ) -> ViewMessage:
        """Send a photo (a generated PNG unless `data` is given) with an optional caption."""
        from faketg.api import png_size
        from faketg.state import tiny_png

        with self.world._lock:
            chat = self._chat(chat_id)
            thread_id, reply_to = self._reply_thread(chat, thread_id, reply_to)
            seq = len(self.world.files) + 1
            payload = data if data is not None else tiny_png(320, 240, seq)
            size = png_size(payload) or (1280, 960)
            file = self.world.new_file(
                "photo", payload, None, "image/png", width=size[0], height=size[1]
            )
            message = self.world.new_message(
                chat,
                self.record,
                MessageKind.PHOTO,
                text=caption or "",
                raw=caption or "",
                photo=self.world.photo_sizes(file),
                thread_id=thread_id,
                reply_to=reply_to,
            )
        return await self._post(chat, message)

    async def send_document(
        self,
        chat_id: int,
        file_name: str = "现场照片.jpg",
        *,
        mime_type: str = "image/jpeg",
        data: bytes = b"fake document",
        caption: str | None = None,
    ) -> ViewMessage:
        """Send a file (a photo sent "as file" is a document with an image/* type)."""
        with self.world._lock:
            chat = self._chat(chat_id)
            file = self.world.new_file("document", data, file_name, mime_type)
            message = self.world.new_message(
                chat,
                self.record,
                MessageKind.DOCUMENT,
                text=caption or "",
                raw=caption or "",
                document=self.world.document_dict(file),
            )
        return await self._post(chat, message)

    async def send_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        live_period: int | None = None,
    ) -> ViewMessage:
        """Share a location; with `live_period` (seconds) a live location, as Telegram sends it."""
        location: dict[str, float] = {"latitude": latitude, "longitude": longitude}
        if live_period is not None:
            if not 60 <= live_period <= 86400 and live_period != 0x7FFFFFFF:
                raise UsageError("Telegram's live_period is 60..86400 s (or 0x7FFFFFFF)")
            location["live_period"] = live_period
        with self.world._lock:
            chat = self._chat(chat_id)
            thread_id, reply_to = self._reply_thread(chat, thread_id, reply_to)
            message = self.world.new_message(
                chat,
                self.record,
                MessageKind.LOCATION,
                location=location,
                thread_id=thread_id,
                reply_to=reply_to,
            )
        return await self._post(chat, message)

    async def tap_keyboard(
        self,
        chat_id: int,
        label: str,
        *,
        location: tuple[float, float] | None = None,
        live_period: int | None = None,
    ) -> ViewMessage:
        """Tap a button of the reply keyboard the chat shows now.

        A plain button sends its label as text. A request_location button sends the person's
        location (`location`, which the phone would read from its GPS), as Telegram does after
        the person agrees to share it.
        """
        rows = self.world.reply_keyboard(chat_id) or []
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else str(button.get("text", ""))
                if text != label:
                    continue
                if isinstance(button, dict) and button.get("request_location"):
                    if location is None:
                        raise UsageError(f"button {label!r} shares a location: pass location=")
                    return await self.send_location(
                        chat_id, location[0], location[1], live_period=live_period
                    )
                return await self.send(chat_id, text)
        shown = [[b if isinstance(b, str) else b.get("text") for b in row] for row in rows]
        raise UsageError(f"no keyboard button {label!r} in chat {chat_id}; keyboard: {shown}")

    async def edit(self, chat_id: int, message_id: int, text: str) -> ViewMessage:
        """Edit one of this person's own messages (its text, or a photo's caption).

        Telegram sends the bot an `edited_message` update with the message as it now stands,
        if the bot could see the message (privacy mode in groups, as for new messages).
        """
        if not text.strip():
            raise UsageError("Telegram does not allow an empty message")
        with self.world._lock:
            chat = self._chat(chat_id)
            message = self.world.find_message(chat.id, message_id)
            if message is None:
                raise UsageError(f"no message {message_id} in chat {chat_id}")
            if message.sender.id != self.id:
                raise UsageError(f"{self!r} can only edit their own messages")
            if message.kind not in (MessageKind.TEXT, MessageKind.PHOTO, MessageKind.DOCUMENT):
                raise UsageError(f"a {message.kind.value} message has no text to edit")
            message.text = message.raw = text
            message.entities = (
                bot_command_entities(text) if message.kind is MessageKind.TEXT else []
            )
            self.world.mark_edited(message)
            receives = self.world.bot_receives(chat, message)
            update = (
                self.world.update("edited_message", self.world.message_dict(message))
                if receives
                else None
            )
            self.world._notify()
            view = self.world.message(chat.id, message.message_id)
        if update is not None:
            await self.world.deliver(update)
        return view

    def _find_button(self, chat_id: int, label: str, message_id: int | None) -> tuple[int, str]:
        candidates: list[ViewMessage]
        if message_id is not None:
            candidates = [self.world.message(chat_id, message_id)]
        else:
            candidates = [m for m in reversed(self.world.chat_view(chat_id)) if m.buttons]
        for view in candidates:
            for row in view.buttons:
                for button in row:
                    if button.label == label:
                        if button.is_url:
                            raise UsageError(f"button {label!r} opens {button.value}")
                        return view.message_id, button.value
        shown = [view.button_labels for view in candidates[:3]]
        raise UsageError(f"no button {label!r} in chat {chat_id}; newest buttons: {shown}")

    async def press(
        self, chat_id: int, label: str, *, message_id: int | None = None, age: float = 0.0
    ) -> CallbackAnswer | None:
        """Press the inline button with this label on the newest message showing it.

        Returns the bot's answerCallbackQuery (text, show_alert), or None if it did not answer.
        `age`: seconds the press waited before reaching the bot; Telegram refuses answers more
        than 15 s after the press ("query is too old"), so age=20 makes the answer fail.
        """
        message_id, data = self._find_button(chat_id, label, message_id)
        return await self.press_data(chat_id, message_id, data, age=age)

    async def press_data(
        self, chat_id: int, message_id: int, data: str, *, age: float = 0.0
    ) -> CallbackAnswer | None:
        """Send a callback query with any data for a message (to forge or replay presses)."""
        with self.world._lock:
            chat = self._chat(chat_id)
            message = self.world.find_message(chat.id, message_id)
            if message is None:
                raise UsageError(f"no message {message_id} in chat {chat_id}")
            callback = self.world.new_callback(self.record, message, data, age=age)
            payload: dict[str, Any] = {
                "id": callback.id,
                "from": self.record.to_dict(),
                "message": self.world.message_dict(message),
                "chat_instance": str(abs(chat.id) * 7 + 3),
                "data": data,
            }
            update = self.world.update("callback_query", payload)
        await self.world.deliver(update)
        if not self.world.attached:
            try:
                await self.world.wait_until(
                    lambda: callback.answer is not None, POLLING_ANSWER_TIMEOUT
                )
            except TimeoutError:
                return None
        return callback.answer

    async def block_bot(self) -> None:
        """Block the bot: its sends to this person now answer 403."""
        await self._set_blocked(True)

    async def unblock_bot(self) -> None:
        """Unblock (restart) the bot."""
        await self._set_blocked(False)

    async def _set_blocked(self, blocked: bool) -> None:
        with self.world._lock:
            if self.record.blocked_bot == blocked:
                return
            self.record.blocked_bot = blocked
            if not blocked:
                # Telegram's "Restart" after unblocking opens the private chat again.
                self.record.started_bot = True
            chat = self.world.chat(self.chat_id)
            old, new = (
                (BotStatus.MEMBER, BotStatus.KICKED)
                if blocked
                else (BotStatus.KICKED, BotStatus.MEMBER)
            )
            update = self.world._my_chat_member(chat, self.record, old, new)
        await self.world.deliver(update)
