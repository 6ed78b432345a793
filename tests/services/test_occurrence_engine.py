"""Report chasing on the occurrence engine, on both databases: catch-up sends the latest moment
only, marks left by the earlier engine are honoured, and racing ticks record each moment once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from bot.settings import DEFAULT_ORG
from models.outbox import OutboxMessage
from models.period import MonthPeriod
from models.reports import ReportChaseMark
from services.forms.chase import chase
from services.forms.config import load_org_forms
from services.forms.deadlines import ReportConfig, deadline_of
from services.org_sync import ensure_admins, sync_org
from services.orgconfig import load_org
from services.workdays import WorkdayCalendar

ORG = load_org(DEFAULT_ORG)
TZ = ZoneInfo("Asia/Shanghai")
CFG = ReportConfig(forms=load_org_forms(ORG, DEFAULT_ORG), tz=TZ, calendar=WorkdayCalendar.build())
NOVEMBER = MonthPeriod(2026, 11)
# Wednesday 25 November, 10:00 in Shanghai: both reminder moments of November (20th 09:00,
# 25th 09:00) have passed, the deadline (midnight) has not.
LATE_MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
REQUIRED = [f for f in CFG.forms.forms if f.required]


async def _office(engine: AsyncEngine):  # type: ignore[no-untyped-def]
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG, LATE_MORNING)
        await ensure_admins(s, ORG, [1001], LATE_MORNING)
    return sessions


async def _reminders(sessions) -> list[str]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        texts = await s.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id))
        return [t for t in texts if t and "【月报提醒】" in t]


async def test_marks_of_the_earlier_engine_are_honoured_after_an_upgrade(engine: AsyncEngine):
    sessions = await _office(engine)
    # The earlier engine marked only the moment it sent: here the 25th's, after a downtime
    # over the 20th. Nothing may go out again.
    async with sessions() as s, s.begin():
        for form in REQUIRED:
            latest = deadline_of(CFG, form, NOVEMBER).fires[-1].fire_at
            s.add(
                ReportChaseMark(
                    form_key=form.key,
                    period=NOVEMBER.key,
                    moment=latest.isoformat(),
                    handled_at=latest,
                    queued=1,
                )
            )
    async with sessions() as s, s.begin():
        assert await chase(s, CFG, LATE_MORNING) == 0
    assert await _reminders(sessions) == []
    async with sessions() as s:
        marks = await s.scalar(select(func.count()).select_from(ReportChaseMark))
    assert marks == 2 * len(REQUIRED)  # the 20th's moment is now recorded as superseded

    # Without those marks (a fresh office after the same downtime): one reminder per
    # department, the latest (today's), not the 20th's as well.
    async with sessions() as s, s.begin():
        await s.execute(delete(ReportChaseMark))
    async with sessions() as s, s.begin():
        await chase(s, CFG, LATE_MORNING)
    sent = await _reminders(sessions)
    assert sent and all("截止时间为今天" in t for t in sent), sent
    assert len(sent) == len(set(sent))


async def test_racing_ticks_record_each_moment_once(engine: AsyncEngine):
    sessions = await _office(engine)

    async def tick() -> int:
        async with sessions() as s, s.begin():
            return await chase(s, CFG, LATE_MORNING)

    # A tick that loses the race on SQLite ("database is locked") is simply retried next time.
    await asyncio.gather(tick(), tick(), return_exceptions=True)
    await tick()
    async with sessions() as s:
        moments = (await s.execute(select(ReportChaseMark.form_key, ReportChaseMark.moment))).all()
        outbox = await s.scalar(select(func.count()).select_from(OutboxMessage))
    assert len(moments) == len(set(moments)) == 2 * len(REQUIRED)
    sent = await _reminders(sessions)
    assert len(sent) == len(set(sent)) and outbox == len(sent)
