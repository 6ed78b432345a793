"""Command menus per scope: private chats, groups, and each coordinator's own chat."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, Forbidden

from handlers.context import CommandSpec
from models.enums import Role

log = logging.getLogger(__name__)

NON_COORDINATOR = frozenset(Role) - {Role.COORDINATOR}


def _menu(specs: Iterable[CommandSpec]) -> list[BotCommand]:
    return [BotCommand(s.name, s.description[:256]) for s in specs]


async def publish_menus(bot: Bot, specs: list[CommandSpec], coordinator_ids: Iterable[int]) -> None:
    """Set the menus: what everyone sees in private and in groups, and the coordinators' menu."""
    private = [
        s
        for s in specs
        if s.where in ("private", "any") and (s.roles is None or s.roles & NON_COORDINATOR)
    ]
    group = [s for s in specs if s.where in ("group", "any")]
    await bot.set_my_commands(_menu(private), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(_menu(group), scope=BotCommandScopeAllGroupChats())
    for user_id in coordinator_ids:
        await publish_coordinator_menu(bot, specs, user_id)


async def publish_coordinator_menu(bot: Bot, specs: list[CommandSpec], user_id: int) -> None:
    """A coordinator's private chat shows every private command.

    Telegram refuses a chat scope for someone who has never written to the bot; that
    coordinator gets the menu at their first /start instead.
    """
    mine = [
        s
        for s in specs
        if s.where in ("private", "any") and (s.roles is None or Role.COORDINATOR in s.roles)
    ]
    try:
        await bot.set_my_commands(_menu(mine), scope=BotCommandScopeChat(user_id))
    except (BadRequest, Forbidden) as exc:
        log.info("coordinator menu for %s deferred to their /start: %s", user_id, exc.message)
