"""A 报到 window still open is not a failure, and a fresh case is not 久未结案 (issue 11, #14)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from docx import Document
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from models.bulletin import Bulletin
from models.period import MonthPeriod
from services.bulletin.docx import render_docx
from services.bulletin.figures import compute_bulletin
from services.bulletin.summary import render_summary
from services.bulletin.xlsx import render_xlsx
from services.org_sync import sync_org
from tests.services.bulletin_seed import Part, add_case, default_sources, ids, person, sh

DECEMBER = MonthPeriod(year=2026, month=12)
SOURCES = default_sources()
WHISTLED = sh(2026, 12, 10, 10)
DUE = sh(2026, 12, 10, 10, 30)  # the first escalation: 报到 until then is on time


async def seed(engine: AsyncEngine, cases: list[tuple[str, datetime, list[Part]]]):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, SOURCES.org, sh(2026, 12, 1, 8))
        d, a = await ids(s)
        grid = await person(s, 2001, "李某", "grid_worker", None, sh(2026, 12, 1, 9))
        for number, whistled, parts in cases:
            await add_case(
                s,
                number=number,
                category=("fire_lane", "消防通道堵塞"),
                area_id=a["qianshan_lihuayuan"],
                whistled=whistled,
                parts=parts,
                reporter_id=grid,
                dept_ids=d,
                urgent=True,
            )
    return sessions


async def bulletin_at(sessions, now: datetime, sources=SOURCES) -> Bulletin:
    async with sessions() as s:
        return await compute_bulletin(s, sources, DECEMBER, now)


def fresh_case() -> list[tuple[str, datetime, list[Part]]]:
    depts = ("police_station_qianshan", "housing", "community_qianshan")
    return [("QS-2026-0001", WHISTLED, [Part(dept, ack_due=DUE) for dept in depts])]


async def test_five_seconds_after_a_dispatch_nobody_is_judged(engine: AsyncEngine):
    sessions = await seed(engine, fresh_case())
    b = await bulletin_at(sessions, WHISTLED + timedelta(seconds=5))

    cur = b.current
    assert (cur.dispatches, cur.acks_on_time, cur.awaiting_ack) == (3, 0, 3)
    assert cur.on_time_rate is None
    assert [(r.department, r.judged, r.on_time_rate) for r in b.response] == [
        ("千山派出所", 0, None),
        ("住建办", 0, None),
        ("千山社区", 0, None),
    ]
    assert b.talks == []
    assert b.hazards.oldest_open == []

    summary = render_summary(b)
    assert "按时报到率暂无可评（3次派遣均在报到时限内）" in summary
    assert "0.0%" not in summary and "建议约谈：无。" in summary
    assert "久未结案" not in summary

    doc = Document(io.BytesIO(render_docx(b)))
    texts = [p.text for p in doc.paragraphs]
    assert any("按时报到率暂无可评（3次派遣均在报到时限内）" in t for t in texts)
    assert any(t.endswith("本月无建议约谈的部门。") for t in texts)
    stats = next(t for t in doc.tables if t.rows[0].cells[1].text == "派遣")
    assert {r.cells[3].text for r in stats.rows[1:]} == {"—"}
    headline = next(t for t in doc.tables if t.rows[0].cells[0].text == "指标")
    rate = next(r for r in headline.rows if r.cells[0].text == "按时报到率")
    assert rate.cells[1].text == "—"

    sheet = load_workbook(io.BytesIO(render_xlsx(b)))["汇总"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["尚在报到时限内（次）"] == 3 and rows["按时报到率（%）"] == "—"


async def test_a_closed_window_counts_and_an_open_one_waits(engine: AsyncEngine):
    later = WHISTLED + timedelta(hours=1)
    sessions = await seed(
        engine,
        [
            (
                "QS-2026-0001",
                WHISTLED,
                [
                    Part("housing", acked=WHISTLED + timedelta(minutes=5), ack_due=DUE),
                    Part("community_qianshan", ack_due=DUE),  # never 报到: late once due
                ],
            ),
            (
                "QS-2026-0002",
                later,
                [
                    Part("community_qianshan", ack_due=later + timedelta(minutes=30)),
                    Part("police_station_qianshan", ack_due=later + timedelta(minutes=30)),
                ],
            ),
        ],
    )
    b = await bulletin_at(sessions, later + timedelta(seconds=5))

    cur = b.current
    assert (cur.dispatches, cur.acks_on_time, cur.awaiting_ack) == (4, 1, 2)
    assert str(cur.on_time_rate) == "50.0"
    rates = {r.department_key: (r.cases, r.judged, r.on_time_rate) for r in b.response}
    assert {k: (n, j, None if v is None else str(v)) for k, (n, j, v) in rates.items()} == {
        "housing": (1, 1, "100.0"),
        "community_qianshan": (2, 1, "0.0"),
        "police_station_qianshan": (1, 0, None),
    }
    # The community let a window pass: that is a failure; the police station is only waiting.
    assert [(t.department, t.reasons) for t in b.talks] == [("千山社区", ["按时报到率0.0%"])]
    assert "按时报到率50.0%，另有2次派遣尚在报到时限内" in render_summary(b)


async def test_the_window_closes_after_its_last_on_time_minute(engine: AsyncEngine):
    """报到 at the due moment itself is on time, so the dispatch is judged only after it."""
    sessions = await seed(engine, fresh_case())
    at_due = await bulletin_at(sessions, DUE)
    assert (at_due.current.awaiting_ack, at_due.current.on_time_rate, at_due.talks) == (3, None, [])
    past = await bulletin_at(sessions, DUE + timedelta(minutes=1))
    assert (past.current.awaiting_ack, str(past.current.on_time_rate)) == (0, "0.0")
    assert len(past.talks) == 3


async def test_long_open_means_open_longer_than_the_overdue_limit(engine: AsyncEngine):
    sessions = await seed(
        engine,
        [
            ("QS-2026-0001", sh(2026, 12, 2, 9), [Part("housing", ack_due=sh(2026, 12, 2, 10))]),
            ("QS-2026-0002", sh(2026, 12, 9, 9), [Part("housing", ack_due=sh(2026, 12, 9, 10))]),
        ],
    )
    now = sh(2026, 12, 10, 10)
    b = await bulletin_at(sessions, now)
    # overdue_after_days defaults to 7: the case of 8 days is 久未结案, the one of a day is not.
    assert [c.number for c in b.hazards.oldest_open] == ["QS-2026-0001"]
    assert b.current.overdue == 1

    spec = SOURCES.org.bulletin.model_copy(update={"overdue_after_days": 1})
    one_day = default_sources(SOURCES.org.model_copy(update={"bulletin": spec}))
    b = await bulletin_at(sessions, now, one_day)
    assert [c.number for c in b.hazards.oldest_open] == ["QS-2026-0001", "QS-2026-0002"]
