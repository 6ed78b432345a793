"""The Bot API methods the fake implements, with Telegram's checks and error texts."""

from __future__ import annotations

import html as html_lib
import mimetypes
import re
import struct
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from faketg.errors import ApiError, FakeTelegramGap, bad_request, forbidden
from faketg.html import EntityParseError, parse_html
from faketg.params import Params, UploadedFile
from faketg.records import (
    BotStatus,
    CallbackAnswer,
    ChatKind,
    ChatRecord,
    FileRecord,
    MessageKind,
    MessageRecord,
)

if TYPE_CHECKING:
    from faketg.state import FakeTelegram

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
# Telegram accepts the answer to a button press for about 15 seconds after the press.
CALLBACK_ANSWER_WINDOW = 15.0
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SCOPE_TYPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "web_app",
    "callback_game",
    "pay",
    "copy_text",
)

Handler = Callable[[Params, Mapping[str, UploadedFile]], Any]


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, read from its IHDR chunk."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


class BotApi:
    """Implements each Bot API method against one FakeTelegram; the caller holds its lock."""

    def __init__(self, world: FakeTelegram) -> None:
        self.w = world
        self.handlers: dict[str, Handler] = {
            "getme": self.get_me,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "answercallbackquery": self.answer_callback_query,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
            "sendmediagroup": self.send_media_group,
            "sendlocation": self.send_location,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getchat": self.get_chat,
            "deletewebhook": self.delete_webhook,
            "setwebhook": self.set_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "deletemessage": self.delete_message,
            "getfile": self.get_file,
        }

    # -- shared checks -----------------------------------------------------------------------

    def chat_for_bot(self, params: Params, name: str = "chat_id") -> ChatRecord:
        """The chat a call addresses, checked the way Telegram checks it before sending."""
        chat = self.w.chats.get(params.chat_id(name))
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.kind is ChatKind.PRIVATE:
            assert chat.user is not None
            if chat.user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started_bot:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status is BotStatus.KICKED:
            raise forbidden(f"bot was kicked from the {chat.kind.value} chat")
        elif chat.bot_status is BotStatus.LEFT:
            raise forbidden(f"bot is not a member of the {chat.kind.value} chat")
        return chat

    def format_text(
        self, params: Params, text_name: str, entities_name: str
    ) -> tuple[str, list[dict[str, Any]], str, str | None]:
        """Plain text, entities, HTML source and parse mode of a text or caption parameter."""
        raw = params.text(text_name) or ""
        parse_mode = params.text("parse_mode")
        if not parse_mode:
            entities = params.obj(entities_name) or []
            return raw, list(entities), html_lib.escape(raw, quote=False), None
        if parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(raw)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            return plain, entities, raw, "HTML"
        if parse_mode.lower() in ("markdown", "markdownv2"):
            raise FakeTelegramGap(f"parse_mode={parse_mode} (the fake implements HTML only)")
        raise bad_request("unsupported parse_mode")

    def check_markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup the way Telegram does; return it as a dict."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "inline_keyboard" must be of type Array')
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "keyboard" must be of type Array')
            for row in rows:
                for button in row:
                    self._check_reply_button(button)
        elif "remove_keyboard" in markup and markup["remove_keyboard"] is not True:
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup

    @staticmethod
    def _check_reply_button(button: Any) -> None:
        """A reply keyboard button: a string, or an object with text (and request_location)."""
        if isinstance(button, str):
            return
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request("can't parse keyboard button: Text must be a String")
        unsupported = set(button) - {"text", "request_location"}
        if unsupported:
            raise FakeTelegramGap(f"reply keyboard button fields {sorted(unsupported)}")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request("can't parse inline keyboard button: Text must be a String")
        if not any(key in button for key in _BUTTON_ACTIONS):
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(data.encode("utf-8")) if isinstance(data, str) else 0
            if not 1 <= size <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
                raise bad_request("BUTTON_URL_INVALID")

    def thread_for(self, chat: ChatRecord, params: Params) -> int | None:
        """The forum topic a message goes to, checked."""
        thread_id = params.integer("message_thread_id")
        if thread_id is None:
            return None
        if not chat.is_forum or thread_id not in chat.topics:
            raise bad_request("message thread not found")
        return thread_id

    def reply_target(self, chat: ChatRecord, params: Params) -> MessageRecord | None:
        """The message being replied to (reply_parameters or legacy reply_to_message_id)."""
        reply = params.obj("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_without = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                raise FakeTelegramGap("reply_parameters.chat_id of another chat")
        else:
            message_id = params.integer("reply_to_message_id")
            allow_without = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        target = self.w.find_message(chat.id, int(message_id))
        if target is None:
            if allow_without:
                return None
            raise bad_request("message to be replied not found")
        return target

    def editable(self, params: Params) -> tuple[ChatRecord, MessageRecord]:
        """The bot's own message an edit call addresses."""
        if params.has("inline_message_id"):
            raise FakeTelegramGap("editing inline messages (inline_message_id)")
        chat = self.chat_for_bot(params)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.w.find_message(chat.id, message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message.sender.id != self.w.bot.id:
            raise bad_request("message can't be edited")
        return chat, message

    def resolve_file(
        self, value: object, files: Mapping[str, UploadedFile], field: str, kind: str
    ) -> FileRecord:
        """An uploaded file, a known file_id or a URL, as the file record it becomes."""
        upload: UploadedFile | None = None
        if value is None and field in files:
            upload = files[field]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f'file "{value}" is not found in the request')
        elif isinstance(value, str) and value:
            if value.startswith(("http://", "https://")):
                name = value.rsplit("/", 1)[-1] or None
                return self.w.new_file(kind, None, name, mimetypes.guess_type(value)[0])
            known = self.w.files.get(value)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if known.kind != kind:
                raise bad_request(
                    f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}"
                )
            return known
        else:
            raise bad_request(f"there is no {field} in the request")
        mime = upload.mime_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or mime
        size = png_size(upload.data) if kind == "photo" else None
        return self.w.new_file(
            kind,
            upload.data,
            upload.filename,
            mime,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    def caption(self, params: Params) -> tuple[str, list[dict[str, Any]], str, str | None]:
        """The caption of a media message, checked against Telegram's 1024 characters."""
        plain, entities, source, mode = self.format_text(params, "caption", "caption_entities")
        if len(plain) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return plain, entities, source, mode

    def _common(self, chat: ChatRecord, params: Params) -> dict[str, Any]:
        markup = self.check_markup(params.obj("reply_markup"))
        thread_id = self.thread_for(chat, params)
        target = self.reply_target(chat, params)
        if thread_id is None and target is not None:
            thread_id = target.thread_id
        return {
            "reply_markup": markup,
            "thread_id": thread_id,
            "reply_to": target.message_id if target is not None else None,
        }

    # -- methods -----------------------------------------------------------------------------

    def get_me(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """getMe."""
        data = self.w.bot.to_dict()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.w.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def send_message(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """sendMessage."""
        chat = self.chat_for_bot(params)
        plain, entities, source, mode = self.format_text(params, "text", "entities")
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("message is too long")
        message = self.w.new_message(
            chat,
            self.w.bot,
            MessageKind.TEXT,
            text=plain,
            entities=entities,
            raw=source,
            parse_mode=mode,
            **self._common(chat, params),
        )
        return self.w.message_dict(message)

    def edit_message_text(self, params: Params, files: Mapping[str, UploadedFile]) -> Any:
        """editMessageText; like Telegram, leaving out reply_markup removes the inline keyboard."""
        _, message = self.editable(params)
        if message.kind is not MessageKind.TEXT:
            raise bad_request("there is no text in the message to edit")
        plain, entities, source, mode = self.format_text(params, "text", "entities")
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = self.check_markup(params.obj("reply_markup"))
        if plain == message.text and entities == message.entities and markup == _inline(message):
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.raw, message.parse_mode = (
            plain,
            entities,
            source,
            mode,
        )
        message.reply_markup = markup
        self.w.mark_edited(message)
        return self.w.message_dict(message)

    def edit_message_caption(self, params: Params, files: Mapping[str, UploadedFile]) -> Any:
        """editMessageCaption."""
        _, message = self.editable(params)
        if message.kind not in (MessageKind.PHOTO, MessageKind.DOCUMENT):
            raise bad_request("there is no caption in the message to edit")
        plain, entities, source, mode = self.caption(params)
        markup = self.check_markup(params.obj("reply_markup"))
        if plain == message.text and entities == message.entities and markup == _inline(message):
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.raw, message.parse_mode = (
            plain,
            entities,
            source,
            mode,
        )
        message.reply_markup = markup
        self.w.mark_edited(message)
        return self.w.message_dict(message)

    def edit_message_reply_markup(self, params: Params, files: Mapping[str, UploadedFile]) -> Any:
        """editMessageReplyMarkup; no reply_markup removes the inline keyboard."""
        _, message = self.editable(params)
        markup = self.check_markup(params.obj("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if markup == _inline(message):
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        self.w.mark_edited(message)
        return self.w.message_dict(message)

    def answer_callback_query(self, params: Params, files: Mapping[str, UploadedFile]) -> bool:
        """answerCallbackQuery: a press can be answered once, within 15 s of the press."""
        query_id = params.text("callback_query_id")
        record = self.w.callbacks.get(query_id or "")
        if record is None or record.answer is not None:
            raise bad_request(QUERY_INVALID)
        if self.w.wall_clock() - record.created_at > CALLBACK_ANSWER_WINDOW:
            raise bad_request(QUERY_INVALID)
        text = params.text("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = CallbackAnswer(
            text=text or None, show_alert=params.flag("show_alert"), url=params.text("url")
        )
        return True

    def send_photo(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """sendPhoto."""
        chat = self.chat_for_bot(params)
        plain, entities, source, mode = self.caption(params)
        file = self.resolve_file(params.raw.get("photo"), files, "photo", "photo")
        message = self.w.new_message(
            chat,
            self.w.bot,
            MessageKind.PHOTO,
            text=plain,
            entities=entities,
            raw=source,
            parse_mode=mode,
            photo=self.w.photo_sizes(file),
            **self._common(chat, params),
        )
        return self.w.message_dict(message)

    def send_document(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """sendDocument."""
        chat = self.chat_for_bot(params)
        plain, entities, source, mode = self.caption(params)
        file = self.resolve_file(params.raw.get("document"), files, "document", "document")
        message = self.w.new_message(
            chat,
            self.w.bot,
            MessageKind.DOCUMENT,
            text=plain,
            entities=entities,
            raw=source,
            parse_mode=mode,
            document=self.w.document_dict(file),
            **self._common(chat, params),
        )
        return self.w.message_dict(message)

    def send_media_group(self, params: Params, files: Mapping[str, UploadedFile]) -> list[Any]:
        """sendMediaGroup: 2-10 photos or documents sent as one album."""
        chat = self.chat_for_bot(params)
        media = params.obj("media")
        if not isinstance(media, list) or not media:
            raise bad_request("there are no media in the request")
        if len(media) > 10:
            raise bad_request("too much messages to send as an album")
        if len(media) < 2:
            raise bad_request("wrong number of messages to send as an album")
        common = self._common(chat, params)
        if common["reply_markup"] is not None:
            raise FakeTelegramGap("sendMediaGroup with reply_markup (Telegram has no such field)")
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
                kind = item.get("type") if isinstance(item, dict) else item
                raise FakeTelegramGap(f"sendMediaGroup item of type {kind!r}")
            kind = str(item["type"])
            item_params = Params(
                {
                    "caption": item.get("caption"),
                    "parse_mode": item.get("parse_mode", params.text("parse_mode")),
                    "caption_entities": item.get("caption_entities"),
                }
            )
            caption = self.caption(item_params)
            file = self.resolve_file(item.get("media"), files, "media", kind)
            prepared.append((kind, caption, file))
        group_id = self.w.new_media_group_id()
        results = []
        for kind, (plain, entities, source, mode), file in prepared:
            extra: dict[str, Any] = (
                {"photo": self.w.photo_sizes(file)}
                if kind == "photo"
                else {"document": self.w.document_dict(file)}
            )
            message = self.w.new_message(
                chat,
                self.w.bot,
                MessageKind.PHOTO if kind == "photo" else MessageKind.DOCUMENT,
                text=plain,
                entities=entities,
                raw=source,
                parse_mode=mode,
                media_group_id=group_id,
                thread_id=common["thread_id"],
                reply_to=common["reply_to"],
                **extra,
            )
            results.append(self.w.message_dict(message))
        return results

    def send_location(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """sendLocation."""
        chat = self.chat_for_bot(params)
        latitude, longitude = params.number("latitude"), params.number("longitude")
        if latitude is None or longitude is None:
            raise bad_request("wrong latitude or longitude specified")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified")
        message = self.w.new_message(
            chat,
            self.w.bot,
            MessageKind.LOCATION,
            location={"latitude": latitude, "longitude": longitude},
            **self._common(chat, params),
        )
        return self.w.message_dict(message)

    def _scope_key(self, params: Params) -> tuple[str, int | None, int | None, str]:
        scope = params.obj("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        scope_type = str(scope["type"])
        chat_id: int | None = None
        user_id: int | None = None
        if scope_type in ("chat", "chat_administrators", "chat_member"):
            chat_id = Params(scope).chat_id()
            if chat_id not in self.w.chats:
                raise bad_request("chat not found")
        if scope_type == "chat_member":
            user_id = Params(scope).integer("user_id")
            if user_id not in self.w.users:
                raise bad_request("user not found")
        language = params.text("language_code") or ""
        return scope_type, chat_id, user_id, language

    def set_my_commands(self, params: Params, files: Mapping[str, UploadedFile]) -> bool:
        """setMyCommands, stored per scope and language."""
        commands = params.obj("commands")
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND_NAME.match(name.lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(params)
        self.w.commands[key] = [
            {"command": c["command"].lstrip("/"), "description": c["description"]} for c in commands
        ]
        return True

    def get_my_commands(self, params: Params, files: Mapping[str, UploadedFile]) -> list[Any]:
        """getMyCommands."""
        return list(self.w.commands.get(self._scope_key(params), []))

    def delete_my_commands(self, params: Params, files: Mapping[str, UploadedFile]) -> bool:
        """deleteMyCommands."""
        self.w.commands.pop(self._scope_key(params), None)
        return True

    def get_chat(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """getChat (a ChatFullInfo)."""
        chat = self.chat_for_bot(params)
        data = chat.to_dict()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    def delete_webhook(self, params: Params, files: Mapping[str, UploadedFile]) -> bool:
        """deleteWebhook: polling may start again."""
        if params.flag("drop_pending_updates"):
            self.w.drop_pending_updates()
        self.w.webhook = None
        return True

    def set_webhook(self, params: Params, files: Mapping[str, UploadedFile]) -> bool:
        """setWebhook: an https URL; a secret of 1-256 of A-Z a-z 0-9 _ -, as Telegram checks."""
        url = params.text("url") or ""
        if not url:
            self.w.webhook = None  # an empty URL removes the webhook
            return True
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self.w.drop_pending_updates()
        allowed = params.obj("allowed_updates")
        self.w.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": allowed if isinstance(allowed, list) else None,
            "max_connections": params.integer("max_connections") or 40,
        }
        return True

    def get_webhook_info(self, params: Params, files: Mapping[str, UploadedFile]) -> Any:
        """getWebhookInfo (the secret is never shown, as in Telegram)."""
        hook = self.w.webhook or {}
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.w.pending_updates()),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            if hook["allowed_updates"] is not None:
                info["allowed_updates"] = hook["allowed_updates"]
        return info

    def delete_message(self, params: Params, files: Mapping[str, UploadedFile]) -> bool:
        """deleteMessage."""
        chat = self.chat_for_bot(params)
        message_id = params.integer("message_id")
        message = self.w.find_message(chat.id, message_id or 0)
        if message is None:
            raise bad_request("message to delete not found")
        mine = message.sender.id == self.w.bot.id
        if chat.is_group and not mine and chat.bot_status is not BotStatus.ADMINISTRATOR:
            raise bad_request("message can't be deleted")
        message.deleted = True
        return True

    def get_file(self, params: Params, files: Mapping[str, UploadedFile]) -> dict[str, Any]:
        """getFile: the path is served under /file/bot<token>/."""
        file = self.w.files.get(params.text("file_id") or "")
        if file is None:
            raise bad_request("invalid file_id")
        data: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.size is not None:
            data["file_size"] = file.size
            data["file_path"] = f"files/{file.file_unique_id}"
        return data


def _inline(message: MessageRecord) -> dict[str, Any] | None:
    """The message's inline keyboard, the only markup an edit compares against."""
    markup = message.reply_markup
    return markup if markup is not None and "inline_keyboard" in markup else None


def ok(result: Any) -> dict[str, Any]:
    """Telegram's success body."""
    return {"ok": True, "result": result}


__all__ = ["ApiError", "BotApi", "ok", "png_size"]
