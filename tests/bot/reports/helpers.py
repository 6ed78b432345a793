"""Setting up an office on the fake Telegram for the report tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from faketg.actors import Actor
from services.clock import FakeClock
from sim.office import ADMIN, invite
from sim.office import bind as bind_group
from sim.simulation import Simulation

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def clock_at(year: int, month: int, day: int, hour: int = 9) -> FakeClock:
    return FakeClock(shanghai(year, month, day, hour))


def last_buttons(sim: Simulation, chat_id: int) -> list[str]:
    return sim.tg.chat_view(chat_id)[-1].button_labels


async def member(sim: Simulation, user_id: int, name: str, department: str) -> Actor:
    """Invite and register a department member."""
    coord = sim.tg.actor(ADMIN) if ADMIN in sim.tg.users else sim.tg.user(ADMIN, "王", "协调")
    return await invite(sim, coord, user_id, name, department)


async def bind(sim: Simulation, title: str, department: str) -> int:
    """A group bound to a department by the coordinator."""
    return await bind_group(sim, sim.tg.actor(ADMIN), title, department)
