"""Shared set-up for the reminder bot tests: the office's groups bound, people invited."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import deliver
from faketg import Actor, ViewMessage
from models.org import Department
from models.reminders import ReminderOccurrence, ReminderSend, SendKind, SendStatus
from scheduler.jobs import run_steps
from services.reminders.tick import reminders_step
from sim.office import bind
from sim.simulation import Simulation

SH = ZoneInfo("Asia/Shanghai")
# Every department the shipped reminder rules name, except the office itself (its people
# are the coordinators, reached in private).
DEPARTMENT_KEYS = (
    "fire_brigade",
    "police_bureau",
    "police_station_qianshan",
    "police_station_tanggangzi",
    "housing",
    "social_affairs",
    "community_qianshan",
    "community_lihua",
    "community_tanggangzi",
)
REMINDER_HEADS = ("【工作提醒】", "【改期提醒】")


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock moment."""
    return datetime(y, mo, d, h, mi, tzinfo=SH)


async def bind_groups(
    sim: Simulation, coord: Actor, keys: tuple[str, ...] = DEPARTMENT_KEYS
) -> dict[str, int]:
    """One group per department, bound by the coordinator with /bind."""
    return {key: await bind(sim, coord, f"{key}工作群", key, supergroup=True) for key in keys}


def reminders_in(sim: Simulation, chat_id: int) -> list[ViewMessage]:
    """The reminder messages the bot posted in a chat (other features' messages left out)."""
    return [m for m in sim.tg.bot_messages(chat_id) if m.text.startswith(REMINDER_HEADS)]


def title_of(message: ViewMessage) -> str:
    """The rule name in a reminder's first line."""
    first = message.text.splitlines()[0]
    for head in REMINDER_HEADS:
        first = first.removeprefix(head)
    return first


async def sends(
    sim: Simulation,
) -> list[tuple[str, str, str, datetime, SendKind, SendStatus]]:
    """(rule, department key, period, fire_at, kind, status) of every recorded reminder."""
    async with sim.rt.transaction() as session:
        rows = await session.execute(
            select(
                ReminderOccurrence.rule_key,
                Department.key,
                ReminderOccurrence.period,
                ReminderSend.fire_at,
                ReminderSend.kind,
                ReminderSend.status,
            )
            .join(ReminderOccurrence, ReminderOccurrence.id == ReminderSend.occurrence_id)
            .join(Department, Department.id == ReminderOccurrence.department_id)
            .order_by(ReminderSend.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def local_day(when: datetime) -> date:
    return when.astimezone(SH).date()


async def tick_reminders(sim: Simulation) -> None:
    """A tick with only the reminders step, then outbox delivery (as the real tick does)."""
    await run_steps(sim.rt, sim.rt.now(), [reminders_step])
    await deliver(sim.app)
