"""Setting up an office on the fake Telegram for the report tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.faketg.actors import Actor
from bot.simulation import Simulation
from services.clock import FakeClock

ADMIN = 1001
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def clock_at(year: int, month: int, day: int, hour: int = 9) -> FakeClock:
    return FakeClock(shanghai(year, month, day, hour))


def last_text(sim: Simulation, chat_id: int) -> str:
    return sim.tg.chat_view(chat_id)[-1].text


def last_buttons(sim: Simulation, chat_id: int) -> list[str]:
    return sim.tg.chat_view(chat_id)[-1].button_labels


async def member(sim: Simulation, user_id: int, name: str, department: str) -> Actor:
    """Invite and register a department member."""
    coord = sim.tg.actor(ADMIN) if ADMIN in sim.tg.users else sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, f"/invite 成员 {department}")
    match = re.search(r"\?start=([A-Za-z0-9]+)", last_text(sim, ADMIN))
    assert match, last_text(sim, ADMIN)
    person = sim.tg.user(user_id, name)
    await person.send(user_id, f"/start {match.group(1)}")
    assert "登记成功" in last_text(sim, user_id), last_text(sim, user_id)
    return person


async def bind(sim: Simulation, title: str, department: str) -> int:
    """A group bound to a department by the coordinator."""
    coord = sim.tg.actor(ADMIN)
    group = sim.tg.create_group(title)
    await coord.send(group, f"/bind {department}")
    assert "已将本群绑定" in last_text(sim, group), last_text(sim, group)
    return group
