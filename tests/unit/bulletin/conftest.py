"""A month with known figures, and an empty one, for the bulletin's renderers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from models.bulletin import (
    Bulletin,
    DepartmentResponse,
    DepartmentTimes,
    DutyKind,
    DutyRow,
    FormAnswers,
    FormTable,
    HazardFigures,
    HazardTally,
    HeadlineFigures,
    Highlight,
    LaneResponse,
    LedgerCase,
    OpenCase,
    ReportRow,
    ReportStatus,
    TalkProposal,
    age_minutes,
)
from models.period import MonthPeriod

SH = ZoneInfo("Asia/Shanghai")
OFFICE = "千山风景区三级消防与消防网格化工作办公室"


def sh(month: int, day: int, hour: int, minute: int) -> datetime:
    """A 2026 Shanghai wall-clock time as an aware datetime (renderers get UTC-convertible)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(ZoneInfo("UTC"))


def report(dept_key: str, dept: str, form: str, status: ReportStatus, at=None, by=None):
    return ReportRow(
        department_key=dept_key,
        department=dept,
        form_key=form,
        form=form,
        status=status,
        submitted_at=at,
        submitted_by=by,
    )


def lane(urgent, cases, acks, median, limit, share) -> LaneResponse:
    return LaneResponse(
        urgent=urgent,
        cases=cases,
        acks=acks,
        median_ack_minutes=median,
        ack_limit_minutes=limit,
        median_share=share,
    )


def build_known_month() -> Bulletin:
    """December 2026: 7 hazards whistled, 住建办 slow and escalated 4 times, 2 reports missing."""
    end = sh(12, 31, 16, 0)
    return Bulletin(
        period=MonthPeriod(year=2026, month=12),
        office=OFFICE,
        issue_date=date(2026, 12, 31),
        current=HeadlineFigures(
            whistled=7,
            closed=4,
            open=3,
            overdue=1,
            dispatches=10,
            acks_on_time=7,
            median_ack_minutes=18.0,
            escalations=4,
            reopened=1,
            reports_on_time=3,
            reports_late=1,
            reports_missing=2,
        ),
        previous=HeadlineFigures(
            whistled=5,
            closed=5,
            open=0,
            overdue=0,
            dispatches=6,
            acks_on_time=6,
            median_ack_minutes=22.0,
            escalations=1,
            reopened=0,
            reports_on_time=4,
            reports_late=1,
            reports_missing=1,
        ),
        reports=[
            report(
                "brigade",
                "消防大队",
                "消防救援大队指导培训情况",
                ReportStatus.ON_TIME,
                sh(12, 20, 10, 5),
                "消防大队 王某",
            ),
            report(
                "police",
                "公安分局",
                "公安分局月度工作报告",
                ReportStatus.ON_TIME,
                sh(12, 22, 15, 40),
                "公安分局 赵某",
            ),
            report("housing", "住建办", "住建办物业消防工作报告", ReportStatus.MISSING),
            report(
                "qianshan",
                "千山社区",
                "社区履职情况",
                ReportStatus.LATE,
                sh(12, 27, 8, 30),
                "千山社区 李某",
            ),
            report("lihua", "梨花社区", "社区履职情况", ReportStatus.MISSING),
            report(
                "social",
                "社会事业局",
                "社会事业局培训情况",
                ReportStatus.ON_TIME,
                sh(12, 24, 9, 0),
                "社会事业局 钱某",
            ),
        ],
        duties=[
            DutyRow(
                department_key="police",
                department="公安分局",
                kind=DutyKind.MEETING,
                held=1,
                expected=1,
            ),
            DutyRow(
                department_key="social",
                department="社会事业局",
                kind=DutyKind.MEETING,
                held=0,
                expected=1,
            ),
            DutyRow(
                department_key="social",
                department="社会事业局",
                kind=DutyKind.TRAINING,
                held=1,
                expected=1,
            ),
            DutyRow(
                department_key="qianshan",
                department="千山社区",
                kind=DutyKind.INSPECTION,
                held=3,
                expected=4,
            ),
        ],
        hazards=HazardFigures(
            by_category=[
                HazardTally(
                    key="lane", name="消防通道堵塞", whistled=3, closed=2, open=1, overdue=1
                ),
                HazardTally(
                    key="ebike",
                    name="电动自行车违规停放充电",
                    whistled=2,
                    closed=1,
                    open=1,
                    overdue=0,
                ),
                HazardTally(
                    key="wiring", name="私拉乱接电线", whistled=2, closed=1, open=1, overdue=0
                ),
            ],
            by_area=[
                HazardTally(
                    key="qianshan", name="千山社区", whistled=4, closed=3, open=1, overdue=1
                ),
                HazardTally(key="lihua", name="梨花社区", whistled=3, closed=1, open=2, overdue=0),
            ],
            by_department=[
                HazardTally(key="police", name="公安分局", whistled=5, closed=3, open=2, overdue=1),
                HazardTally(key="housing", name="住建办", whistled=4, closed=2, open=2, overdue=1),
                HazardTally(
                    key="brigade", name="消防大队", whistled=1, closed=1, open=0, overdue=0
                ),
            ],
            oldest_open=[
                OpenCase(
                    number="QS-2026-0003",
                    category="消防通道堵塞",
                    area="千山社区",
                    whistled_at=sh(12, 2, 9, 14),
                    age_minutes=age_minutes(sh(12, 2, 9, 14), end),
                    pending_departments=["住建办"],
                ),
            ],
        ),
        response=[
            DepartmentResponse(
                department_key="police",
                department="公安分局",
                cases=5,
                acks=5,
                acks_on_time=5,
                median_ack_minutes=12.0,
                p90_ack_minutes=25.0,
                median_resolve_minutes=180.0,
                escalations=0,
                reopened=1,
                ack_limit_minutes=30.0,
                lanes=[
                    lane(True, 2, 2, 6.0, 30.0, 20.0),
                    lane(False, 3, 3, 25.0, 480.0, 5.2),
                ],
            ),
            DepartmentResponse(
                department_key="housing",
                department="住建办",
                cases=4,
                acks=3,
                acks_on_time=1,
                median_ack_minutes=95.0,
                p90_ack_minutes=300.0,
                median_resolve_minutes=1500.0,
                escalations=4,
                reopened=0,
                ack_limit_minutes=30.0,
                lanes=[
                    lane(True, 2, 2, 95.0, 30.0, 316.7),
                    lane(False, 2, 1, 300.0, 480.0, 62.5),
                ],
            ),
            DepartmentResponse(
                department_key="brigade",
                department="消防大队",
                cases=1,
                acks=1,
                acks_on_time=1,
                median_ack_minutes=8.0,
                p90_ack_minutes=8.0,
                median_resolve_minutes=60.0,
                escalations=0,
                reopened=0,
                ack_limit_minutes=30.0,
                lanes=[lane(False, 1, 1, 8.0, 480.0, 1.7)],
            ),
            DepartmentResponse(
                department_key="social", department="社会事业局", cases=0, acks=0, acks_on_time=0
            ),
        ],
        talk_rule="本月被升级案件2件及以上，或按时报到率低于80%",
        talks=[
            TalkProposal(
                department_key="housing",
                department="住建办",
                reasons=["本月被升级案件4件", "按时报到率25.0%"],
            ),
        ],
        highlights=[
            Highlight(
                department="千山社区",
                form="社区履职情况",
                text="组织楼长开展夜间巡查，发现并整改电动车入户充电隐患5处。",
            ),
            Highlight(department="消防大队", text="为三个社区开展“送课上门”培训。"),
        ],
        cases=[
            LedgerCase(
                number="QS-2026-0001",
                category="消防通道堵塞",
                area="千山社区",
                address="梨花苑小区 3号楼东侧",
                urgent=True,
                reporter="网格员 李某",
                status="已结案",
                whistled_at=sh(12, 1, 9, 14),
                dispatched_at=sh(12, 1, 9, 14),
                departments=[
                    DepartmentTimes(
                        department_key="police",
                        department="公安分局",
                        acked_at=sh(12, 1, 9, 20),
                        resolved_at=sh(12, 1, 11, 0),
                    ),
                    DepartmentTimes(
                        department_key="housing",
                        department="住建办",
                        acked_at=sh(12, 1, 10, 5),
                        resolved_at=sh(12, 1, 12, 30),
                    ),
                ],
                verified_at=sh(12, 1, 14, 0),
                closed_at=sh(12, 1, 14, 1),
                reopened=0,
                description="消防通道被三辆货车堵塞。",
            ),
            LedgerCase(
                number="QS-2026-0003",
                category="消防通道堵塞",
                area="千山社区",
                reporter="网格员 李某",
                status="待报到",
                whistled_at=sh(12, 2, 9, 14),
                dispatched_at=sh(12, 2, 9, 15),
                departments=[
                    DepartmentTimes(
                        department_key="police", department="公安分局", acked_at=sh(12, 2, 9, 40)
                    ),
                    DepartmentTimes(department_key="housing", department="住建办"),
                ],
                reopened=1,
            ),
            LedgerCase(
                number="QS-2026-0005",
                category="私拉乱接电线",
                area="梨花社区",
                reporter="网格员 周某",
                status="已结案",
                whistled_at=sh(12, 10, 20, 5),
                dispatched_at=sh(12, 10, 20, 6),
                departments=[
                    DepartmentTimes(
                        department_key="brigade",
                        department="消防大队",
                        acked_at=sh(12, 10, 20, 14),
                        resolved_at=sh(12, 10, 21, 14),
                    ),
                ],
                verified_at=sh(12, 11, 8, 0),
                closed_at=sh(12, 11, 8, 0),
            ),
        ],
        forms=[
            FormTable(
                form_key="community",
                title="社区履职情况",
                columns=["召开会议（次）", "开展培训（次）", "消防检查（次）", "亮点和先进经验"],
                rows=[
                    FormAnswers(
                        department="千山社区",
                        submitted_at=sh(12, 27, 8, 30),
                        submitted_by="千山社区 李某",
                        cells=["1", "2", "3", "=1+1 组织楼长开展夜间巡查"],
                    )
                ],
            ),
            FormTable(
                form_key="joint",
                title="联合执法/专项行动[12月]",
                columns=["行动次数", "检查场所（处）"],
                rows=[
                    FormAnswers(
                        department="公安分局",
                        submitted_at=sh(12, 22, 15, 40),
                        submitted_by="公安分局 赵某",
                        cells=["2", "37"],
                    )
                ],
            ),
        ],
    )


def build_empty_month() -> Bulletin:
    """A month with no cases, no reports and no previous month (the bot did not exist yet)."""
    return Bulletin(
        period=MonthPeriod(year=2025, month=1),
        office=OFFICE,
        issue_date=date(2025, 1, 27),
        current=HeadlineFigures(),
        notes=["本月早于系统启用，无业务记录。"],
    )


@pytest.fixture
def known() -> Bulletin:
    return build_known_month()


@pytest.fixture
def empty() -> Bulletin:
    return build_empty_month()
