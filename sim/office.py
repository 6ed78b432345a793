"""Setting up an office on the fake Telegram through the real commands, and the whistle walk.

One copy for the demo, the bot tests and the benchmarks: groups are bound with /bind, people
registered through the invitation links the coordinator makes, hazards whistled through the
same conversation a grid worker uses. Every step checks the bot's answer and raises
`ScriptError` when it is not what a person would expect to see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from faketg import Actor
from sim.simulation import Simulation

ADMIN = 1001  # the coordinator named in FIREGRID_ADMINS by Simulation's default
INVITE_LINK = re.compile(r"https://t\.me/firegrid_bot\?start=([A-Za-z0-9]+)")


class ScriptError(AssertionError):
    """The bot did not answer the way the script expects (the script or the bot has rotted)."""


def last_text(sim: Simulation, chat_id: int) -> str:
    """The newest message in a chat, anyone's."""
    return sim.tg.chat_view(chat_id)[-1].text


def expect(sim: Simulation, chat_id: int, fragment: str) -> str:
    """The newest message in a chat, which must contain `fragment`."""
    text = last_text(sim, chat_id)
    if fragment not in text:
        raise ScriptError(f"expected {fragment!r} in chat {chat_id}, got: {text!r}")
    return text


def invite_code(text: str) -> str:
    """The start code of the invitation link in a bot message."""
    match = INVITE_LINK.search(text)
    if match is None:
        raise ScriptError(f"no invitation link: {text!r}")
    return match.group(1)


async def invite(
    sim: Simulation, coord: Actor, user_id: int, name: str, target: str, role: str = "成员"
) -> Actor:
    """A person registered through an invitation link the coordinator made in ADMIN's chat."""
    await coord.send(ADMIN, f"/invite {role} {target}".strip())
    person = sim.tg.user(user_id, name)
    await person.send(user_id, f"/start {invite_code(last_text(sim, ADMIN))}")
    expect(sim, user_id, "登记成功")
    return person


async def bind(
    sim: Simulation, coord: Actor, title: str, department: str, *, supergroup: bool = False
) -> int:
    """A new group bound to a department by the coordinator."""
    group = sim.tg.create_group(title, supergroup=supergroup)
    await coord.send(group, f"/bind {department}")
    expect(sim, group, "已将本群绑定为")
    return group


async def set_up(
    sim: Simulation,
    coord: Actor,
    groups: Mapping[str, str],
    people: Mapping[int, tuple[str, str, str]],
) -> tuple[dict[str, int], dict[int, Actor]]:
    """Bind a supergroup per department (key -> title), then invite everyone
    (user id -> (name, invitation role, department or area)); returns the chats and actors."""
    chats = {
        key: await bind(sim, coord, title, key, supergroup=True) for key, title in groups.items()
    }
    actors = {
        uid: await invite(sim, coord, uid, name, target, role)
        for uid, (name, role, target) in people.items()
    }
    return chats, actors


async def walk_whistle(
    grid: Actor,
    *,
    category: str,
    area: str,
    location: tuple[float, float] | None,
    address: str | None,
    photos: int,
    description: str,
    urgent: bool,
    submit: bool = True,
) -> None:
    """A grid worker walks the whole whistle conversation in the private chat (no address:
    跳过; fewer than five photos: 完成)."""
    me = grid.id
    await grid.send(me, "吹哨")
    await grid.press(me, category)
    await grid.press(me, area)
    if location is not None:
        await grid.send_location(me, *location)
    if address is None:
        await grid.press(me, "跳过")
    else:
        await grid.send(me, address)
    for _ in range(photos):
        await grid.send_photo(me)
    if photos < 5:
        await grid.press(me, "完成")
    await grid.send(me, description)
    await grid.press(me, "紧急" if urgent else "一般")
    if submit:
        await grid.press(me, "提交")
