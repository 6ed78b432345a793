"""What the fake Telegram remembers: people, chats, messages, files, button presses."""

from __future__ import annotations

import datetime as dtm
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


class ChatKind(StrEnum):
    """Telegram's chat types the bot meets."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"


class BotStatus(StrEnum):
    """The bot's membership in a group."""

    MEMBER = "member"
    ADMINISTRATOR = "administrator"
    LEFT = "left"
    KICKED = "kicked"


class MessageKind(StrEnum):
    """What a message carries."""

    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"
    LOCATION = "location"
    SERVICE = "service"


@dataclass
class UserRecord:
    """A person (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = None
    blocked_bot: bool = False
    # Telegram lets a bot write to a person only after that person opened the private chat
    # (pressed Start, i.e. sent /start, or wrote anything there): until then 403.
    started_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Telegram's User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class ChatRecord:
    """A private chat, group or supergroup."""

    id: int
    kind: ChatKind
    title: str | None = None
    user: UserRecord | None = None
    is_forum: bool = False
    bot_status: BotStatus = BotStatus.MEMBER
    migrated_to: int | None = None
    topics: dict[int, str] = field(default_factory=dict)
    next_message_id: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Telegram's Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.kind.value}
        if self.kind is ChatKind.PRIVATE:
            assert self.user is not None
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
            if self.is_forum:
                data["is_forum"] = True
        return data

    @property
    def is_group(self) -> bool:
        """A group or supergroup."""
        return self.kind is not ChatKind.PRIVATE

    @property
    def bot_can_read_all(self) -> bool:
        """Admins see every group message even with privacy mode on."""
        return self.bot_status is BotStatus.ADMINISTRATOR


@dataclass
class FileRecord:
    """A file Telegram stores: uploaded by the bot (bytes kept) or sent by a person."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int | None:
        """Size in bytes when known."""
        return len(self.data) if self.data is not None else None


@dataclass
class MessageRecord:
    """One message, as it currently stands (edits applied)."""

    seq: int
    chat_id: int
    message_id: int
    sender: UserRecord
    date: float
    kind: MessageKind
    text: str = ""  # the text, or the caption of media
    entities: list[dict[str, Any]] = field(default_factory=list)
    raw: str = ""  # what the sender wrote before entity parsing (HTML source when parse_mode=HTML)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    location: dict[str, float] | None = None
    media_group_id: str | None = None
    service: dict[str, Any] | None = None
    edit_date: float | None = None
    edits: int = 0
    deleted: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press (the popup or toast the person sees)."""

    text: str | None
    show_alert: bool
    url: str | None = None


@dataclass
class CallbackRecord:
    """A button press sent to the bot."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None
    created_at: float = 0.0  # the fake's wall clock when pressed (answers close 15 s later)


class Button(NamedTuple):
    """An inline button as shown: its label and its callback data (or URL)."""

    label: str
    value: str

    @property
    def is_url(self) -> bool:
        """Whether pressing it opens a link instead of calling the bot."""
        return self.value.startswith(("http://", "https://", "tg://"))


@dataclass(frozen=True)
class PhotoInfo:
    """The largest size of a photo."""

    file_id: str
    file_unique_id: str
    width: int
    height: int


@dataclass(frozen=True)
class DocumentInfo:
    """A document attached to a message."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None


@dataclass(frozen=True)
class ViewMessage:
    """A message as a person sees it in the chat, edits applied."""

    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    text: str  # plain text, or the caption of media ("" if none)
    html: str  # the HTML source the bot sent (escaped plain text when it sent no parse mode)
    buttons: tuple[tuple[Button, ...], ...]
    keyboard: tuple[tuple[str, ...], ...]  # reply keyboard labels, if the message set one
    location_buttons: tuple[str, ...]  # reply keyboard buttons that share the location
    photo: PhotoInfo | None
    document: DocumentInfo | None
    location: tuple[float, float] | None
    reply_to: int | None
    thread_id: int | None
    media_group_id: str | None
    service: dict[str, Any] | None
    sent_at: dtm.datetime
    edited_at: dtm.datetime | None
    entities: tuple[dict[str, Any], ...] = ()

    @property
    def button_labels(self) -> list[str]:
        """All inline button labels, row by row."""
        return [button.label for row in self.buttons for button in row]

    def button(self, label: str) -> Button:
        """The inline button with this label."""
        for row in self.buttons:
            for button in row:
                if button.label == label:
                    return button
        raise KeyError(f"no button {label!r}; buttons: {self.button_labels}")


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call the bot made, for tests that count attempts."""

    method: str
    params: dict[str, object]
    status: int | None  # HTTP status answered; None when the call failed without an answer
    error: str | None = None
    chat_id: int | None = None
