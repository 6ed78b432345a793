"""A month with known facts: the bulletin computed from the rows states exactly those figures."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from models.bulletin import DutyKind, DutySpec, ReportStatus
from models.period import MonthPeriod
from models.reminders import OccurrenceStatus, ReminderOccurrence
from services.bulletin.docx import render_docx
from services.bulletin.figures import compute_bulletin
from services.bulletin.summary import render_summary
from services.bulletin.xlsx import render_xlsx
from services.org_sync import sync_org
from tests.services.bulletin_seed import (
    SH,
    Part,
    add_case,
    add_submission,
    default_sources,
    ids,
    person,
    sh,
)

DECEMBER = MonthPeriod(year=2026, month=12)
AFTER_DECEMBER = sh(2027, 1, 5, 9)
ORG_SOURCES = default_sources()


def sources_with_duties():
    spec = ORG_SOURCES.org.bulletin.model_copy(
        update={
            "duties": [
                DutySpec(
                    kind=DutyKind.MEETING, reminder="housing_property_meeting", item="物业会议"
                ),
                DutySpec(kind=DutyKind.MEETING, reminder="police_dispatch_meeting", item="调度会"),
                DutySpec(
                    kind=DutyKind.MEETING,
                    form="police_monthly",
                    question="dispatch_meetings",
                    item="调度会议",
                ),
                DutySpec(kind=DutyKind.TRAINING, form="community_duties", question="trainings"),
                DutySpec(kind=DutyKind.INSPECTION, form="community_duties", question="inspections"),
            ]
        }
    )
    org = ORG_SOURCES.org.model_copy(update={"bulletin": spec})
    return default_sources(org)


async def seed_known_month(sessions) -> None:
    """November: one case handled on time. December: three cases, eight dispatches, two reports."""
    async with sessions() as s, s.begin():
        await sync_org(s, ORG_SOURCES.org, sh(2026, 11, 1, 8))
    async with sessions() as s, s.begin():
        d, a = await ids(s)
        await person(s, 1001, "协调员", "coordinator", d["coordinator_office"], sh(2026, 11, 1, 9))
        grid = await person(s, 2001, "李某", "grid_worker", None, sh(2026, 11, 2, 9))
        wang = await person(s, 3001, "王某", "member", d["community_qianshan"], sh(2026, 11, 2, 9))
        zhao = await person(s, 3002, "赵某", "member", d["police_bureau"], sh(2026, 11, 2, 9))
        common = {"reporter_id": grid, "dept_ids": d}
        await add_case(
            s,
            number="QS-2026-0001",
            category=("facilities", "消防设施损坏、灭火器过期"),
            area_id=a["tanggangzi"],
            whistled=sh(2026, 11, 20, 10),
            urgent=True,
            parts=[
                Part(
                    "police_station_tanggangzi",
                    acked=sh(2026, 11, 20, 10, 10),
                    ack_due=sh(2026, 11, 20, 10, 30),
                    resolved=sh(2026, 11, 20, 11),
                )
            ],
            verified=sh(2026, 11, 21, 9),
            closed=sh(2026, 11, 21, 9),
            **common,
        )
        await add_case(
            s,
            number="QS-2026-0002",
            category=("fire_lane", "消防通道堵塞"),
            area_id=a["qianshan_lihuayuan"],
            whistled=sh(2026, 12, 1, 9, 15),
            urgent=True,
            address="梨花苑小区 3号楼东侧",
            parts=[
                # Reported for duty after 5 minutes; reopened at 13:00, re-acked on time.
                Part(
                    "police_station_qianshan",
                    first_acked=sh(2026, 12, 1, 9, 20),
                    acked=sh(2026, 12, 1, 13, 5),
                    ack_due=sh(2026, 12, 1, 13, 30),
                    resolved=sh(2026, 12, 1, 13, 30),
                    ladder_round=1,
                    ladder_started=sh(2026, 12, 1, 13),
                ),
                Part(
                    "housing",
                    acked=sh(2026, 12, 1, 10, 5),
                    ack_due=sh(2026, 12, 1, 9, 45),
                    resolved=sh(2026, 12, 1, 12, 15),
                    escalated=(sh(2026, 12, 1, 9, 45),),
                ),
                Part(
                    "community_qianshan",
                    acked=sh(2026, 12, 1, 9, 25),
                    ack_due=sh(2026, 12, 1, 9, 45),
                    resolved=sh(2026, 12, 1, 10, 15),
                ),
            ],
            reopened=(sh(2026, 12, 1, 13),),
            verified=sh(2026, 12, 1, 14),
            closed=sh(2026, 12, 1, 14),
            **common,
        )
        await add_case(
            s,
            number="QS-2026-0003",
            category=("ebike", "电动自行车违规停放充电"),
            area_id=a["lihua"],
            whistled=sh(2026, 12, 3, 10),
            parts=[
                Part(
                    "police_station_qianshan",
                    acked=sh(2026, 12, 3, 10, 30),
                    ack_due=sh(2026, 12, 4, 10),
                ),
                Part(
                    "housing",
                    ack_due=sh(2026, 12, 4, 10),
                    escalated=(sh(2026, 12, 4, 10), sh(2026, 12, 4, 12)),
                ),
                Part("community_lihua", acked=sh(2026, 12, 3, 11), ack_due=sh(2026, 12, 4, 10)),
            ],
            **common,
        )
        await add_case(
            s,
            number="QS-2026-0004",
            category=("wiring", "私拉乱接电线"),
            area_id=a["qianshan"],
            whistled=sh(2026, 12, 28, 15),
            parts=[
                Part("housing", acked=sh(2026, 12, 28, 16), ack_due=sh(2026, 12, 29, 15)),
                Part(
                    "community_qianshan",
                    ack_due=sh(2026, 12, 29, 15),
                    escalated=(sh(2026, 12, 29, 15),),
                ),
            ],
            **common,
        )
        await add_submission(
            s,
            dept_id=d["community_qianshan"],
            form_key="community_duties",
            period="2026-12",
            submitted=sh(2026, 12, 20, 10),
            by=wang,
            answers={
                "meetings": [{"date": "2026-12-05", "attendees": 12, "topic": "冬季防火"}],
                "trainings": [
                    {"date": "2026-12-10", "audience": ["网格员"], "attendees": 20},
                    {"date": "2026-12-17", "audience": ["楼长", "居民"], "attendees": 35},
                ],
                "inspections": 4,
                "hazards_found": 3,
                "hazards_fixed": 2,
                "weekly_grid_checks": True,
                "inspection_photos": ["photo-1"],
            },
        )
        await add_submission(
            s,
            dept_id=d["police_bureau"],
            form_key="police_monthly",
            period="2026-12",
            submitted=sh(2026, 12, 27, 9),
            by=zhao,
            late=True,
            answers={
                "dispatch_meetings": [
                    {
                        "date": "2026-12-02",
                        "attendees": 30,
                        "fire_guidance_present": True,
                        "content": "部署",
                    }
                ],
                "inspected_units": 41,
            },
        )
        # Meeting reminders of December: the police held theirs, the housing office did not;
        # November's occurrence and another rule's are not December's police meetings.
        for rule, dept, due, status in (
            ("police_dispatch_meeting", "police_bureau", sh(2026, 12, 1, 9), OccurrenceStatus.HELD),
            ("police_dispatch_meeting", "police_bureau", sh(2026, 11, 2, 9), OccurrenceStatus.HELD),
            ("housing_property_meeting", "housing", sh(2026, 12, 1, 9), OccurrenceStatus.POSTPONED),
            (
                "social_dispatch_meeting",
                "social_affairs",
                sh(2026, 12, 1, 9),
                OccurrenceStatus.HELD,
            ),
        ):
            s.add(
                ReminderOccurrence(
                    rule_key=rule,
                    department_id=d[dept],
                    period=due.astimezone(SH).strftime("%Y-%m"),
                    due_on=due.astimezone(SH).date(),
                    due_at=due,
                    status=status,
                    held_on=due.astimezone(SH).date() if status is OccurrenceStatus.HELD else None,
                    created_at=due,
                )
            )
        await add_submission(
            s,
            dept_id=d["community_qianshan"],
            form_key="highlights",
            period="2026-12",
            submitted=sh(2026, 12, 21, 10),
            by=wang,
            answers={"highlight": "组织楼长夜间巡查，整改电动车入户充电隐患5处。"},
        )


@pytest.fixture
async def december(engine: AsyncEngine):
    sessions = make_sessions(engine)
    await seed_known_month(sessions)
    async with sessions() as s:
        return await compute_bulletin(s, sources_with_duties(), DECEMBER, AFTER_DECEMBER)


async def test_headline_and_previous_month(december):
    cur, prev = december.current, december.previous
    assert (cur.whistled, cur.closed, cur.open, cur.overdue) == (3, 1, 2, 1)
    assert (cur.dispatches, cur.acks_on_time, str(cur.on_time_rate)) == (8, 5, "62.5")
    assert cur.median_ack_minutes == pytest.approx(40.0, abs=0.01)
    # four escalation events, on three case-departments: 约谈 counts the latter (issue 14)
    assert (cur.escalations, cur.reopened) == (3, 1)
    assert (cur.reports_on_time, cur.reports_late, cur.reports_missing) == (1, 1, 6)
    assert prev is not None
    assert (prev.whistled, prev.closed, prev.dispatches, prev.acks_on_time) == (1, 1, 1, 1)
    assert prev.median_ack_minutes == pytest.approx(10.0, abs=0.01)
    assert prev.reports_missing == 8
    assert december.notes == []
    assert december.issue_date.isoformat() == "2027-01-05"


async def test_department_response(december):
    rows = {r.department_key: r for r in december.response}
    assert list(rows) == [
        "police_station_qianshan",
        "housing",
        "community_qianshan",
        "community_lihua",
    ]
    station = rows["police_station_qianshan"]
    assert (station.cases, station.acks, station.acks_on_time) == (2, 2, 2)
    assert station.median_ack_minutes == pytest.approx(17.5, abs=0.01)
    assert station.p90_ack_minutes == pytest.approx(27.5, abs=0.01)
    assert station.median_resolve_minutes == pytest.approx(255.0, abs=0.01)
    assert (station.escalations, station.reopened) == (0, 1)
    assert station.ack_limit_minutes == pytest.approx(735.0, abs=0.01)  # median of 30 and 1440
    # The chart never mixes ladders: each lane is measured against its own limit.
    urgent, normal = station.lanes
    assert (urgent.urgent, urgent.cases, urgent.acks) == (True, 1, 1)
    assert urgent.median_ack_minutes == pytest.approx(5.0, abs=0.01)
    assert urgent.ack_limit_minutes == pytest.approx(30.0, abs=0.01)
    assert urgent.median_share == pytest.approx(16.67, abs=0.01)
    assert (normal.urgent, normal.cases, normal.acks) == (False, 1, 1)
    assert normal.median_ack_minutes == pytest.approx(30.0, abs=0.01)
    assert normal.ack_limit_minutes == pytest.approx(1440.0, abs=0.01)
    assert normal.median_share == pytest.approx(2.08, abs=0.01)
    housing = rows["housing"]
    assert (housing.cases, housing.acks, housing.acks_on_time, housing.escalations) == (3, 2, 1, 2)
    assert str(housing.on_time_rate) == "33.3"
    assert housing.median_ack_minutes == pytest.approx(55.0, abs=0.01)
    assert housing.p90_ack_minutes == pytest.approx(59.0, abs=0.01)
    assert housing.median_resolve_minutes == pytest.approx(180.0, abs=0.01)
    qianshan = rows["community_qianshan"]
    assert (qianshan.cases, qianshan.acks, qianshan.escalations, str(qianshan.on_time_rate)) == (
        2,
        1,
        1,
        "50.0",
    )
    lihua = rows["community_lihua"]
    assert lihua.median_resolve_minutes is None  # nothing resolved: rendered as a dash


async def test_hazards_by_category_area_department_and_oldest(december):
    hz = december.hazards

    def table(rows):
        return [(t.name, t.whistled, t.closed, t.open, t.overdue) for t in rows]

    assert table(hz.by_category) == [
        ("消防通道堵塞", 1, 1, 0, 0),
        ("电动自行车违规停放充电", 1, 0, 1, 1),
        ("私拉乱接电线", 1, 0, 1, 0),
    ]
    # The estate 梨花苑小区 counts with its community.
    assert table(hz.by_area) == [("千山社区", 2, 1, 1, 0), ("梨花社区", 1, 0, 1, 1)]
    assert table(hz.by_department) == [
        ("住建办", 3, 1, 2, 1),
        ("千山派出所", 2, 1, 1, 1),
        ("千山社区", 2, 1, 1, 0),
        ("梨花社区", 1, 0, 1, 1),
    ]
    # 久未结案: open longer than the 超期 limit (7 days); QS-2026-0004, 3 days open, is not.
    assert [(c.number, c.pending_departments) for c in hz.oldest_open] == [
        ("QS-2026-0003", ["住建办"]),
    ]
    assert hz.oldest_open[0].age_minutes == int(
        (sh(2027, 1, 1) - sh(2026, 12, 3, 10)) / timedelta(minutes=1)
    )


async def test_reports_duties_highlights_and_talks(december):
    status = {(r.department_key, r.form_key): r.status for r in december.reports}
    assert len(status) == 8
    assert status[("community_qianshan", "community_duties")] is ReportStatus.ON_TIME
    assert status[("police_bureau", "police_monthly")] is ReportStatus.LATE
    assert status[("community_lihua", "community_duties")] is ReportStatus.MISSING
    assert status[("coordinator_office", "joint_enforcement")] is ReportStatus.MISSING
    assert [(d.department, d.title, d.expected, d.held) for d in december.duties] == [
        ("公安分局", "调度会", 1, 1),
        ("公安分局", "调度会议", 1, 1),
        ("住建办", "物业会议", 1, 0),
        ("千山社区", "培训", 1, 2),
        ("千山社区", "检查", 1, 4),
        ("梨花社区", "培训", 1, 0),
        ("梨花社区", "检查", 1, 0),
        ("汤岗子社区", "培训", 1, 0),
        ("汤岗子社区", "检查", 1, 0),
    ]
    assert [(h.department, h.text) for h in december.highlights] == [
        ("千山社区", "组织楼长夜间巡查，整改电动车入户充电隐患5处。")
    ]
    assert [(t.department, t.reasons) for t in december.talks] == [
        ("住建办", ["本月被升级案件2件", "按时报到率33.3%"]),
        ("千山社区", ["按时报到率50.0%"]),
    ]
    forms = {f.form_key: f for f in december.forms}
    assert set(forms) == {"community_duties", "police_monthly", "highlights"}
    duties_form = forms["community_duties"]
    row = dict(zip(duties_form.columns, duties_form.rows[0].cells, strict=True))
    assert row["本月消防检查次数"] == "4次"
    trainings = row["本月组织的消防指导培训"].split("\n")
    assert [t[:3] for t in trainings] == ["（1）", "（2）"]
    assert "参训人数：35人" in trainings[1]


async def test_ledger_has_every_case_of_the_month(december):
    assert [c.number for c in december.cases] == ["QS-2026-0002", "QS-2026-0003", "QS-2026-0004"]
    first = december.cases[0]
    assert first.area == "梨花苑小区"
    assert first.status == "已结案"
    assert first.reopened == 1
    times = {t.department_key: t for t in first.departments}
    assert times["police_station_qianshan"].acked_at == sh(2026, 12, 1, 9, 20)  # first 报到
    assert times["housing"].resolved_at == sh(2026, 12, 1, 12, 15)


async def test_the_files_state_the_same_figures(december):
    summary = render_summary(december)
    assert "吹哨3起（较上月↑2），已结案1起，未结案2起，其中超期1起" in summary
    assert "按时报到率62.5%（较上月↓37.5个百分点）" in summary
    assert "用时中位数40分钟（较上月↑30分钟）" in summary
    assert "住建办（本月被升级案件2件，按时报到率33.3%）；千山社区（按时报到率50.0%）" in summary

    doc = Document(io.BytesIO(render_docx(december)))
    stats = next(t for t in doc.tables if t.rows[0].cells[1].text == "派遣")
    row = next([c.text for c in r.cells] for r in stats.rows if r.cells[0].text == "住建办")
    assert row == ["住建办", "3", "2", "33.3%", "55分钟", "59分钟", "3小时", "2", "0"]
    texts = [p.text for p in doc.paragraphs]
    assert "1. 住建办：本月被升级案件2件；按时报到率33.3%。" in texts

    wb = load_workbook(io.BytesIO(render_xlsx(december)))
    ledger = wb["案件台账"]
    header = [c.value for c in ledger[1]]
    numbers = [r[0] for r in ledger.iter_rows(min_row=2, values_only=True)]
    assert numbers == ["QS-2026-0002", "QS-2026-0003", "QS-2026-0004"]
    first = dict(zip(header, next(ledger.iter_rows(min_row=2, values_only=True)), strict=True))
    assert first["千山派出所报到时间"].strftime("%Y-%m-%d %H:%M") == "2026-12-01 09:20"
    assert first["住建办处置时间"].strftime("%Y-%m-%d %H:%M") == "2026-12-01 12:15"
    summary_sheet = {r[0]: r[1:] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary_sheet["吹哨隐患（起）"] == (3, 1, 2)
    assert summary_sheet["被升级案件（件）"] == (3, 0, 3)
    assert "社区工作制度履行情况" in wb.sheetnames


async def test_month_before_the_bot_existed(engine: AsyncEngine):
    sessions = make_sessions(engine)
    await seed_known_month(sessions)
    async with sessions() as s:
        old = await compute_bulletin(
            s, ORG_SOURCES, MonthPeriod(year=2025, month=3), AFTER_DECEMBER
        )
    assert old.notes == ["本月早于系统启用，无业务记录。"]
    assert old.previous is None
    assert old.current.whistled == 0 and old.reports == [] and old.response == []
    assert old.before_records
    assert "本月无吹哨隐患" not in render_summary(old)
    render_docx(old)
    render_xlsx(old)


async def test_empty_database_and_month_in_progress(engine: AsyncEngine):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG_SOURCES.org, sh(2026, 12, 1, 8))
        d, _ = await ids(s)
        await person(s, 1001, "协调员", "coordinator", d["coordinator_office"], sh(2026, 12, 1, 9))
    async with sessions() as s:
        b = await compute_bulletin(s, ORG_SOURCES, DECEMBER, sh(2026, 12, 15, 10))
    # No department has a group, nobody whistled: still a bulletin, with what is owed.
    assert b.notes == [
        "系统自12月1日 09:00启用，本月数据自该时起统计。",
        "本通报数据截至12月15日 10:00。",
    ]
    assert b.current.whistled == 0 and b.hazards.oldest_open == [] and b.cases == []
    # The reports are due on the 25th: on the 15th they are owed, not yet missing.
    assert b.current.reports_missing == 0 and b.current.reports_pending == 8 and b.talks == []
    assert b.previous is None


async def test_reports_not_yet_due_are_pending_and_their_duties_unjudged(engine: AsyncEngine):
    """Mid-month, /digest must not call reports due on the 25th missing, nor their duties short."""
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG_SOURCES.org, sh(2026, 11, 1, 8))
        d, _ = await ids(s)
        wang = await person(s, 3001, "王某", "member", d["community_qianshan"], sh(2026, 11, 2, 9))
        await add_submission(
            s,
            dept_id=d["community_qianshan"],
            form_key="community_duties",
            period="2026-12",
            submitted=sh(2026, 12, 8, 10),
            by=wang,
            answers={"inspections": 4},
        )
    async with sessions() as s:
        b = await compute_bulletin(s, sources_with_duties(), DECEMBER, sh(2026, 12, 10, 10))
    status = {(r.department_key, r.form_key): r.status for r in b.reports}
    assert status[("community_qianshan", "community_duties")] is ReportStatus.ON_TIME
    assert status[("community_lihua", "community_duties")] is ReportStatus.PENDING
    assert (b.current.reports_on_time, b.current.reports_missing) == (1, 0)
    assert b.current.reports_pending == len(b.reports) - 1
    # Duties read from a report nobody has filed yet are not judged (no 实0次 on the 10th).
    assert {d.department_key for d in b.duties} == {"community_qianshan"}
    summary = render_summary(b)
    assert "未报送：" not in summary and f"未到截止时间{len(b.reports) - 1}份" in summary
    texts = [p.text for p in Document(io.BytesIO(render_docx(b))).paragraphs]
    assert any(
        t.startswith("应报送8份，按时1份，逾期0份，未报送0份，未到截止时间7份") for t in texts
    )


async def test_reports_due_before_the_bot_started_are_not_missing(engine: AsyncEngine):
    """Started on 30 November: November's reports (due the 25th) were never owed to the bot."""
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG_SOURCES.org, sh(2026, 11, 30, 17))
        d, _ = await ids(s)
        await person(
            s, 1001, "协调员", "coordinator", d["coordinator_office"], sh(2026, 11, 30, 17)
        )
    async with sessions() as s:
        november = await compute_bulletin(
            s, ORG_SOURCES, MonthPeriod(year=2026, month=11), AFTER_DECEMBER
        )
        december = await compute_bulletin(s, ORG_SOURCES, DECEMBER, AFTER_DECEMBER)
    assert november.reports == [] and november.current.reports_missing == 0
    # Nor are the duties read from those reports: nobody owed them, so nobody fell short.
    assert november.duties == []
    # December's deadline came after the start: every required form is owed, and missing.
    assert december.current.reports_missing == len(december.reports) > 0
    assert december.previous is not None and december.previous.reports_missing == 0
