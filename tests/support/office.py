"""Setting up an office on the fake Telegram through the real commands: groups bound, people
invited and registered. Shared by the bot tests."""

from __future__ import annotations

import re

from bot.faketg import Actor
from bot.simulation import Simulation

ADMIN = 1001


def last_text(sim: Simulation, chat_id: int) -> str:
    """The newest message in a chat, anyone's."""
    return sim.tg.chat_view(chat_id)[-1].text


def invite_code(text: str) -> str:
    """The start code of the invitation link in a bot message."""
    match = re.search(r"https://t\.me/firegrid_bot\?start=([A-Za-z0-9]+)", text)
    assert match, text
    return match.group(1)


async def invite(
    sim: Simulation, coord: Actor, user_id: int, name: str, target: str, role: str = "成员"
) -> Actor:
    """A person registered through an invitation link the coordinator made in ADMIN's chat."""
    await coord.send(ADMIN, f"/invite {role} {target}")
    person = sim.tg.user(user_id, name)
    await person.send(user_id, f"/start {invite_code(last_text(sim, ADMIN))}")
    assert "登记成功" in last_text(sim, user_id), last_text(sim, user_id)
    return person


async def bind(
    sim: Simulation, coord: Actor, title: str, department: str, *, supergroup: bool = False
) -> int:
    """A new group bound to a department by the coordinator."""
    group = sim.tg.create_group(title, supergroup=supergroup)
    await coord.send(group, f"/bind {department}")
    assert "已将本群绑定为" in last_text(sim, group), last_text(sim, group)
    return group
