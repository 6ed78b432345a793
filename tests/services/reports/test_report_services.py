"""Report use cases on both real databases: one row per department, form and month; chasing once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
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
from models.reports import ReportChaseMark, ReportSubmission
from services.errors import Refusal
from services.forms import bulletin_read, chase, conversation, deadlines
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


async def _people(engine: AsyncEngine):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG, NOW)
        dept = await s.scalar(select(Department.id).where(Department.key == "police_bureau"))
        for uid, name in ((2101, "李警官"), (2102, "王警官")):
            s.add(
                Person(
                    telegram_user_id=uid,
                    display_name=name,
                    role=Role.MEMBER,
                    department_id=dept,
                    joined_at=NOW,
                )
            )
    async with sessions() as s:
        li = await person_by_user(s, 2101)
        wang = await person_by_user(s, 2102)
    assert li is not None and wang is not None
    return sessions, li, wang


def test_deadline_is_the_25th_or_the_workday_before():
    form = CFG.forms.form("community_duties")
    assert form is not None
    nov = deadlines.deadline_of(CFG, form, MonthPeriod(2026, 11))
    assert nov.due_date.isoformat() == "2026-11-25"
    assert nov.due_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    assert [f.fire_at.astimezone(TZ).strftime("%m-%d %H:%M") for f in nov.fires] == [
        "11-20 09:00",
        "11-25 09:00",
    ]
    # 2026-04-25 is a Saturday: the deadline moves to Friday the 24th.
    assert (
        deadlines.deadline_of(CFG, form, MonthPeriod(2026, 4)).due_date.isoformat() == "2026-04-24"
    )
    # 2026-10-25 is a Sunday after National Day: the workday before is Friday the 23rd.
    assert (
        deadlines.deadline_of(CFG, form, MonthPeriod(2026, 10)).due_date.isoformat() == "2026-10-23"
    )


async def test_two_members_racing_create_one_row(engine: AsyncEngine):
    sessions, li, wang = await _people(engine)

    async def open_as(person):
        async with sessions() as s, s.begin():
            return await conversation.open_form(s, CFG, person, "police_monthly", NOW)

    views = await asyncio.gather(open_as(li), open_as(wang))
    assert views[0].submission_id == views[1].submission_id
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ReportSubmission)) == 1


async def test_answer_submit_and_refuse_after_deadline(engine: AsyncEngine):
    sessions, li, wang = await _people(engine)
    async with sessions() as s, s.begin():
        view = await conversation.open_form(s, CFG, li, "police_monthly", NOW)
    sid = view.submission_id
    steps = [
        Input(action="done", version=view.version),
        Input(text="12"),
        Input(text="3"),
        Input(text="5"),
        Input(action="skip"),
        Input(action="done"),
        Input(text="按计划推进"),
    ]
    for given in steps:
        async with sessions() as s, s.begin():
            view = await conversation.act(s, CFG, wang, sid, given, NOW)
        assert view.error is None, view.error
    async with sessions() as s, s.begin():
        stale = await conversation.act(s, CFG, li, sid, Input(action="submit", version=0), NOW)
    assert stale.error == conversation.STALE
    async with sessions() as s, s.begin():
        done = await conversation.act(
            s, CFG, li, sid, Input(action="submit", version=view.version), NOW
        )
    assert done.finished and "已提交" in done.text
    async with sessions() as s:
        subs = await bulletin_read.submissions_of(s, CFG, MonthPeriod(2026, 11))
    assert [(x.department_key, x.form_key, x.submitted_by, x.late) for x in subs] == [
        ("police_bureau", "police_monthly", "李警官", False)
    ]
    assert subs[0].answers["inspected_units"] == 12 and subs[0].answers["publicity_forms"] is None
    late = NOW + timedelta(days=10)
    async with sessions() as s, s.begin():
        refused = await conversation.act(s, CFG, li, sid, Input(text="1"), late)
    assert refused.error is not None and "截止" in refused.error and not refused.editable
    outsider = li.model_copy(update={"department": None})
    async with sessions() as s, s.begin():
        with pytest.raises(Refusal, match="尚未归属任何部门"):
            await conversation.act(s, CFG, outsider, sid, Input(text="1"), NOW)


async def test_chase_marks_each_moment_once(engine: AsyncEngine):
    sessions, _, _ = await _people(engine)
    moment = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    async with sessions() as s, s.begin():
        first = await chase.chase(s, CFG, moment)
    async with sessions() as s, s.begin():
        again = await chase.chase(s, CFG, moment + timedelta(minutes=1))
    # No group is bound: each reminder is forwarded to the (absent) coordinators and the
    # leading group, so nothing is queued, but every moment is still marked handled.
    assert first == 0 and again == 0
    async with sessions() as s:
        marks = list(await s.scalars(select(ReportChaseMark.form_key).order_by(ReportChaseMark.id)))
    assert sorted(marks) == sorted(f.key for f in CFG.forms.forms if f.required)
    async with sessions() as s, s.begin():
        assert await chase.chase(s, CFG, NOW) == 0  # before any reminder moment
