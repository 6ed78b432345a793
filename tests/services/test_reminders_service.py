"""The reminders tick on both real databases: once only, also when two ticks race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from bot.settings import DEFAULT_ORG
from models.outbox import OutboxMessage
from models.reminders import ReminderOccurrence, ReminderSend
from services.clock import FakeClock
from services.org_sync import ensure_admins, sync_org
from services.orgconfig import load_org
from services.reminders.tick import run_reminders
from services.workdays import WorkdayCalendar

ORG = load_org(DEFAULT_ORG)
SH = ZoneInfo("Asia/Shanghai")
CAL = WorkdayCalendar.build(ORG.calendar)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH).astimezone(UTC)


async def _counts(engine: AsyncEngine) -> tuple[int, int, int]:
    async with make_sessions(engine)() as s:
        sends = await s.scalar(select(func.count()).select_from(ReminderSend))
        occurrences = await s.scalar(select(func.count()).select_from(ReminderOccurrence))
        outbox = await s.scalar(select(func.count()).select_from(OutboxMessage))
    return int(sends or 0), int(occurrences or 0), int(outbox or 0)


async def test_a_tick_twice_and_two_racing_ticks_send_once(engine: AsyncEngine, clock: FakeClock):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG, clock.now())
        await ensure_admins(s, ORG, [1001], clock.now())
        await run_reminders(s, ORG, CAL, SH, sh(2026, 11, 30, 20, 0))

    async def tick(now: datetime) -> list[str]:
        async with sessions() as s, s.begin():
            return (await run_reminders(s, ORG, CAL, SH, now)).sent

    first = await tick(sh(2026, 12, 1, 9, 0))
    # 公安分局, 社会事业局, 住建办 meetings at 09:00 (no groups bound: forwarded, still recorded).
    assert sorted(first) == [
        "housing_property_meeting:housing:2026-12:d0",
        "police_dispatch_meeting:police_bureau:2026-12:d0",
        "social_dispatch_meeting:social_affairs:2026-12:d0",
    ]
    after_first = await _counts(engine)
    assert await tick(sh(2026, 12, 1, 9, 0)) == []
    assert await _counts(engine) == after_first

    # Two processes tick at 09:30 at the same moment: the unique keys let one of them send.
    results = await asyncio.gather(
        tick(sh(2026, 12, 1, 9, 30)), tick(sh(2026, 12, 1, 9, 30)), return_exceptions=True
    )
    sent = [key for result in results if isinstance(result, list) for key in result]
    assert sorted(sent) == [
        "brigade_guidance:fire_brigade:2026-12:d0",
        "station_guidance:police_station_qianshan:2026-12:d0",
        "station_guidance:police_station_tanggangzi:2026-12:d0",
    ]
    # A tick that lost the race (SQLite: "database is locked") is simply retried next time.
    assert await tick(sh(2026, 12, 1, 9, 31)) == []
    sends, occurrences, _ = await _counts(engine)
    assert (sends, occurrences) == (after_first[0] + 3, after_first[1] + 3)
