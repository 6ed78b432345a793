"""Who may fill a report and for which month, checked in the use cases (every entry point)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from bot.settings import DEFAULT_ORG
from models.enums import Role
from models.org import Department
from models.people import Person
from models.period import MonthPeriod
from models.reports import ReportSubmission, SubmissionStatus
from services.errors import Refusal
from services.forms import conversation
from services.forms.config import load_org_forms
from services.forms.conversation import Input
from services.forms.deadlines import ReportConfig
from services.org_sync import sync_org
from services.orgconfig import load_org
from services.people import person_by_user
from services.workdays import WorkdayCalendar

ORG = load_org(DEFAULT_ORG)
TZ = ZoneInfo("Asia/Shanghai")
CFG = ReportConfig(forms=load_org_forms(ORG, DEFAULT_ORG), tz=TZ, calendar=WorkdayCalendar.build())
NOW = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
FILLERS = "月报由千山社区的成员或负责人填报；网格员负责吹哨上报和核查。"


async def _office(engine: AsyncEngine):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG, NOW)
        dept = await s.scalar(select(Department.id).where(Department.key == "community_qianshan"))
        for uid, name, role in ((2001, "张社区", Role.MEMBER), (3001, "李网格", Role.GRID_WORKER)):
            s.add(
                Person(
                    telegram_user_id=uid,
                    display_name=name,
                    role=role,
                    department_id=dept,
                    joined_at=NOW,
                )
            )
    async with sessions() as s:
        member = await person_by_user(s, 2001)
        grid = await person_by_user(s, 3001)
    assert member is not None and grid is not None
    return sessions, member, grid


async def _count(sessions) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ReportSubmission)) or 0)


async def test_a_grid_worker_neither_opens_nor_changes_the_report(engine: AsyncEngine):
    sessions, member, grid = await _office(engine)
    async with sessions() as s, s.begin():
        with pytest.raises(Refusal) as refused:
            await conversation.open_form(s, CFG, grid, "community_duties", NOW)
    assert refused.value.message == FILLERS
    async with sessions() as s, s.begin():
        menu = await conversation.start(s, CFG, grid, NOW)
    assert isinstance(menu, conversation.Menu) and not menu.fills and menu.note == FILLERS
    assert await _count(sessions) == 0

    async with sessions() as s, s.begin():
        view = await conversation.open_form(s, CFG, member, "community_duties", NOW)
    async with sessions() as s, s.begin():
        with pytest.raises(Refusal, match="网格员负责吹哨上报和核查"):
            await conversation.act(
                s, CFG, grid, view.submission_id, Input(action="done", version=view.version), NOW
            )
    async with sessions() as s:
        row = await s.get(ReportSubmission, view.submission_id)
        assert row is not None and row.version == view.version


async def test_only_this_month_and_past_months_open(engine: AsyncEngine):
    sessions, member, _ = await _office(engine)
    for month in (MonthPeriod(2026, 12), MonthPeriod(2999, 12)):
        async with sessions() as s, s.begin():
            with pytest.raises(Refusal, match=f"{month.label}尚未开始，不能填报"):
                await conversation.open_form(s, CFG, member, "community_duties", NOW, period=month)
    assert await _count(sessions) == 0
    async with sessions() as s, s.begin():
        past = await conversation.open_form(
            s, CFG, member, "community_duties", NOW, period=MonthPeriod(2026, 10)
        )
    assert not past.editable and "截止" in past.text

    # A row for a month that has not begun (made before this check existed) cannot be filled.
    async with sessions() as s, s.begin():
        future = ReportSubmission(
            department_id=member.department.id if member.department else 0,
            form_key="community_duties",
            period="2026-12",
            status=SubmissionStatus.DRAFT,
            draft={},
            version=0,
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(future)
        await s.flush()
        future_id = future.id
    async with sessions() as s, s.begin():
        with pytest.raises(Refusal, match="尚未开始"):
            await conversation.act(s, CFG, member, future_id, Input(action="done"), NOW)
