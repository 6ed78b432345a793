"""The tick on both real databases: exact ping times, escalation, catch-up, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from models.cases import CaseDepartment, CaseEvent, EventKind
from models.outbox import OutboxMessage
from services.cases import lifecycle as lc
from services.cases import tick
from services.clock import FakeClock
from tests.cases.office import COORDINATOR, Office, build_office

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def office(engine: AsyncEngine, clock: FakeClock) -> Office:
    return await build_office(engine, clock)


async def submit(office: Office, **kw: object) -> int:
    async with office.tx() as s:
        view = await lc.submit_whistle(
            s,
            office.env,
            actor=office.grid,
            draft=office.draft(**kw),
            chat_id=office.grid.telegram_user_id,
            now=office.now(),
        )
    return view.id


async def run(office: Office, until: datetime, every: timedelta = timedelta(minutes=1)) -> None:
    """Tick like the scheduler does, moving the fake clock."""
    while office.now() < until:
        office.clock.set(min(office.now() + every, until))
        await tick.step(office.rt, office.now())


def hm(rows: list[OutboxMessage]) -> list[str]:
    return [r.created_at.astimezone(SH).strftime("%m-%d %H:%M") for r in rows]


async def pings(office: Office, key: str) -> list[OutboxMessage]:
    return [
        m for m in await office.outbox(chat_id=office.group(key)) if "【催办】" in (m.text or "")
    ]


async def escalations(office: Office, chat_id: int) -> list[OutboxMessage]:
    return [m for m in await office.outbox(chat_id=chat_id) if "【升级】" in (m.text or "")]


async def test_urgent_ladder_pings_then_escalates_the_silent_department_only(office: Office):
    case_id = await submit(office, category="wiring")  # housing, community_qianshan
    await run(office, office.now() + timedelta(minutes=15))
    async with office.tx() as s:
        await lc.acknowledge(
            s,
            office.env,
            actor=office.member("housing"),
            case_id=case_id,
            department_id=office.dept_ids["housing"],
            chat_id=office.group("housing"),
            now=office.now(),
        )
    await run(office, office.now() + timedelta(minutes=36))  # until 09:51
    assert hm(await pings(office, "housing")) == ["11-30 09:10"]
    silent = await pings(office, "community_qianshan")
    assert hm(silent) == ["11-30 09:10", "11-30 09:20", "11-30 09:30", "11-30 09:40", "11-30 09:50"]
    card = (await office.outbox(chat_id=office.group("community_qianshan")))[0]
    assert all(p.reply_to_outbox_id == card.id for p in silent)
    assert "千山社区：隐患 QS-2026-0001（私拉乱接电线）已派遣10分钟，尚未报到" in (
        silent[0].text or ""
    )
    assert "已报告领导小组和三级办" in (silent[2].text or "")
    assert silent[0].buttons == [
        [{"label": "报到", "data": f"c:ack:{case_id}:{office.dept_ids['community_qianshan']}"}]
    ]
    to_coord = await escalations(office, COORDINATOR)
    to_leaders = await escalations(office, office.group("leading_group"))
    assert hm(to_coord) == hm(to_leaders) == ["11-30 09:30", "11-30 09:40", "11-30 09:50"]
    first = to_coord[0].text or ""
    assert first.startswith("【升级】千山社区 未报到")
    assert "QS-2026-0001 私拉乱接电线（紧急）" in first and "第1次升级" in first
    assert "第3次升级" in (to_coord[2].text or "")
    assert not any("住建办" in (m.text or "") for m in to_coord)
    async with office.tx() as s:
        row = await s.scalar(
            select(CaseDepartment).where(
                CaseDepartment.department_id == office.dept_ids["community_qianshan"]
            )
        )
        assert row is not None and row.escalations == 3 and row.step == 5
        events = list(
            await s.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.ESCALATED))
        )
    assert len(events) == 3


async def test_normal_ladder_respects_quiet_hours_and_workdays(office: Office):
    # Friday 2026-12-04 15:00 Shanghai: two hours of pings, then the weekend is quiet
    office.clock.set(datetime(2026, 12, 4, 7, 0, tzinfo=UTC))
    await submit(office, category="debris", urgent=False)  # community_qianshan, housing
    # every grid point of this ladder is on the hour, so hourly ticks see each one on time
    await run(office, datetime(2026, 12, 7, 12, 0, tzinfo=SH), every=timedelta(hours=1))
    assert hm(await pings(office, "housing")) == [
        "12-04 17:00",
        "12-04 19:00",
        "12-07 09:00",
        "12-07 11:00",
    ]
    assert await escalations(office, COORDINATOR) == []
    # one workday (12 business hours) after Friday 15:00 is Monday 15:00
    await run(office, datetime(2026, 12, 7, 15, 30, tzinfo=SH), every=timedelta(minutes=30))
    assert hm(await escalations(office, COORDINATOR)) == ["12-07 15:00", "12-07 15:00"]


async def test_after_downtime_each_overdue_ladder_sends_one_ping_then_keeps_schedule(
    office: Office,
):
    await submit(office, category="wiring")
    start = office.now()
    await tick.step(office.rt, start)
    office.clock.set(start + timedelta(minutes=65))  # the bot was down for an hour
    await tick.step(office.rt, office.now())
    await tick.step(office.rt, office.now())  # the same tick again changes nothing
    for key in ("housing", "community_qianshan"):
        assert hm(await pings(office, key)) == ["11-30 10:05"]
    assert len(await escalations(office, COORDINATOR)) == 2  # one per silent department
    await run(office, start + timedelta(minutes=80))
    assert hm(await pings(office, "housing")) == ["11-30 10:05", "11-30 10:10", "11-30 10:20"]


async def test_a_closed_case_stops_every_ladder(office: Office):
    case_id = await submit(office, category="wiring")
    async with office.tx() as s:
        await lc.close_case(
            s,
            office.env,
            actor=office.coordinator,
            number="QS-2026-0001",
            reason="误报",
            chat_id=COORDINATOR,
            now=office.now(),
        )
    await run(office, office.now() + timedelta(hours=1), every=timedelta(minutes=5))
    assert await pings(office, "housing") == []
    async with office.tx() as s:
        due = await tick.due_ladders(s, office.now())
        left = await s.scalars(select(CaseDepartment).where(CaseDepartment.case_id == case_id))
        assert due == [] and all(r.next_ping_at is None for r in left)


async def test_unverified_case_goes_to_coordinators_after_three_days(office: Office):
    case_id = await submit(office, category="wiring")
    for key in ("housing", "community_qianshan"):
        person = office.member(key)
        async with office.tx() as s:
            await lc.acknowledge(
                s,
                office.env,
                actor=person,
                case_id=case_id,
                department_id=office.dept_ids[key],
                chat_id=None,
                now=office.now(),
            )
            await lc.resolve(
                s,
                office.env,
                actor=person,
                case_id=case_id,
                department_id=office.dept_ids[key],
                note="已处理",
                photos=[],
                chat_id=None,
                now=office.now(),
            )
    asked = office.now()
    await run(office, asked + timedelta(days=3) - timedelta(minutes=1), every=timedelta(hours=6))
    assert not [t for t in await office.texts(COORDINATOR) if "【核查超期】" in t]
    await run(office, asked + timedelta(days=3, hours=1), every=timedelta(minutes=30))
    await tick.step(office.rt, office.now())
    overdue = [
        m for m in await office.outbox(chat_id=COORDINATOR) if "【核查超期】" in (m.text or "")
    ]
    assert len(overdue) == 1
    assert overdue[0].buttons == [
        [
            {"label": "已消除", "data": f"c:vok:{case_id}"},
            {"label": "未消除", "data": f"c:vno:{case_id}"},
        ]
    ]
    async with office.tx() as s:
        closed = await lc.verify(
            s,
            office.env,
            actor=office.coordinator,
            case_id=case_id,
            chat_id=COORDINATOR,
            now=office.now(),
        )
    assert closed.closed_at == office.now()
