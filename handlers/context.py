"""The typed PTB context: handlers reach the Runtime through `context.rt`, not raw dicts."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from models.dto import PersonInfo
from models.enums import Role
from services.dialogs import Dialog
from services.flood import FloodGate
from services.runtime import Runtime
from services.updates import HandledUpdates


@dataclass(frozen=True)
class CommandSpec:
    """A command: who may use it and where (for /help and the command menus)."""

    name: str
    description: str
    roles: frozenset[Role] | None  # None: everyone, registered or not
    where: str = "private"  # private | group | any


@dataclass(frozen=True)
class DialogRoutes:
    """How one kind of conversation takes a text, a photo or a location.

    on_resume asks the current question again (继续填写, or a conversation that waited);
    unfinished says what typed input the draft holds ("第3步"), None when nothing would be
    lost: only then does starting another conversation ask first (handlers/router.py);
    restart starts this kind afresh after 放弃 (None: the person starts it again).
    """

    on_text: DialogHandler
    on_photo: DialogHandler | None = None
    on_location: DialogHandler | None = None
    title: str = "当前操作"
    on_resume: DialogHandler | None = None
    unfinished: Callable[[Dialog], str | None] | None = None
    restart: TriggerHandler | None = None


@dataclass(frozen=True)
class Trigger:
    """Plain words that start a conversation (e.g. 吹哨)."""

    pattern: re.Pattern[str]
    handler: TriggerHandler


class BotData:
    """Application-wide data, typed (PTB builds it with no arguments)."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.commands: list[CommandSpec] = []
        self.dialogs: dict[str, DialogRoutes] = {}
        self.triggers: list[Trigger] = []
        self.handled_updates = HandledUpdates()  # a cache of processed_updates (see there)
        self.flood: FloodGate | None = None  # per-person budgets (services/flood.py)
        # The composition root keeps its own infrastructure here (handlers never read it).
        self.infra: object | None = None


@dataclass
class ChatData:
    """Unused per-chat storage (state lives in the database)."""

    notes: dict[str, str] = field(default_factory=dict)


class CustomContext(CallbackContext[ExtBot[None], dict[str, object], ChatData, BotData]):
    """Context with the Runtime at hand."""

    def __init__(
        self,
        application: Application,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def rt(self) -> Runtime:
        runtime = self.bot_data.runtime
        if runtime is None:
            raise RuntimeError("Runtime not attached to the application")
        return runtime


DialogHandler = Callable[[Update, CustomContext, PersonInfo, Dialog], Awaitable[None]]
TriggerHandler = Callable[[Update, CustomContext, PersonInfo], Awaitable[None]]
