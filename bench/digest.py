"""Benchmark: the bulletin of one month over a year of records, on SQLite and PostgreSQL.

Generates a year of cases (with their departments and ~11 events each: 100,000 cases make
about 1.1 million events) and twelve months of reports, then times the month's figures
(SQL aggregation) and the rendering of the summary, .docx, .xlsx and chart, for each size.

    .venv/bin/python -m bench.digest                      # 10k, 30k, 100k on SQLite and PostgreSQL
    .venv/bin/python -m bench.digest --sizes 10000 --no-pg
    FIREGRID_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.digest
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_engine, make_sessions, upgrade_sync
from bot.settings import DEFAULT_ORG
from models.cases import Case, CaseDepartment, CaseEvent, CaseStatus, DeptStatus, EventKind
from models.enums import DepartmentKind
from models.forms import FormsFile
from models.orgfile import OrgFile
from models.people import Person
from models.period import MonthPeriod
from models.reports import ReportSubmission, SubmissionStatus
from services.bulletin.figures import Window, compute_bulletin, departments, ledger
from services.bulletin.files import render_files
from services.forms.config import load_org_forms
from services.org_sync import responsible_keys, sync_org
from services.orgconfig import load_org
from services.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
YEAR = 2026
MONTH = MonthPeriod(year=YEAR, month=6)
NOW = datetime(YEAR, 7, 6, 9, tzinfo=SH).astimezone(UTC)
PG_URL = os.environ.get(
    "FIREGRID_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BATCH = 5000


@dataclass
class Sources:
    org: OrgFile
    forms: FormsFile
    tz: ZoneInfo = SH
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar.build)


@dataclass
class Timing:
    database: str
    cases: int
    events: int
    generate_s: float
    figures_s: float
    ledger_s: float
    render_s: float
    month_cases: int


async def _bulk(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        async with engine.begin() as conn:
            await conn.execute(insert(table), rows[i : i + BATCH])


def _routes(org: OrgFile, ids: dict[str, int]) -> dict[tuple[str, str], list[int]]:
    """(category, area) -> the department ids a case there is dispatched to."""
    kinds = {d.key: d.kind for d in org.departments}
    out: dict[tuple[str, str], list[int]] = {}
    for cat in org.categories:
        for area in org.areas:
            responsible = responsible_keys(org, area.key)
            depts: list[int] = []
            for route in cat.routes:
                for key in (
                    [route] if route in kinds else [k for k in responsible if kinds[k] == route]
                ):
                    if ids[key] not in depts:
                        depts.append(ids[key])
            if depts:
                out[(cat.key, area.key)] = depts
    return out


async def generate(engine: AsyncEngine, src: Sources, n_cases: int, seed: int = 7) -> int:
    """A year of records; returns the number of case events written."""
    rnd = random.Random(seed)
    org = src.org
    sessions = make_sessions(engine)
    start = datetime(YEAR, 1, 1, tzinfo=SH).astimezone(UTC)
    async with sessions() as s, s.begin():
        await sync_org(s, org, start - timedelta(days=30))
    async with engine.connect() as conn:
        ids: dict[str, int] = {
            k: i for k, i in (await conn.execute(text("SELECT key, id FROM departments"))).all()
        }
        area_ids: dict[str, int] = {
            k: i for k, i in (await conn.execute(text("SELECT key, id FROM areas"))).all()
        }
    people = [
        {
            "id": 1,
            "telegram_user_id": 1001,
            "display_name": "协调员",
            "role": "coordinator",
            "department_id": ids["coordinator_office"],
            "active": True,
            "joined_at": start - timedelta(days=30),
        },
    ]
    for i in range(2, 62):
        people.append(
            {
                "id": i,
                "telegram_user_id": 5000 + i,
                "display_name": f"人员{i}",
                "role": "member",
                "department_id": rnd.choice(list(ids.values())),
                "active": True,
                "joined_at": start,
            }
        )
    await _bulk(engine, Person.__table__, people)

    routes = _routes(org, ids)
    keys = list(routes)
    seconds = 365 * 24 * 3600
    created = sorted(start + timedelta(seconds=rnd.randrange(seconds)) for _ in range(n_cases))
    cases: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    end_of_data = NOW
    names = {c.key: c.name for c in org.categories}
    for i, whistled in enumerate(created, start=1):
        cat, area = rnd.choice(keys)
        urgent = rnd.random() < 0.2
        limit = timedelta(minutes=30) if urgent else timedelta(hours=12)
        events.append(
            {"case_id": i, "kind": EventKind.WHISTLED, "at": whistled, "department_id": None}
        )
        last_resolved = whistled
        all_resolved = True
        reopened = rnd.random() < 0.03
        for dept_id in routes[(cat, area)]:
            delay = timedelta(minutes=rnd.lognormvariate(3.0 if urgent else 4.3, 1.0))
            acked = whistled + delay if rnd.random() < 0.95 else None
            if acked is not None and acked > end_of_data:
                acked = None
            escalations = 0
            if acked is None or delay > limit:
                escalations = min(
                    5, 1 + int(((delay if acked else timedelta(days=1)) - limit) / limit)
                )
            resolved = None
            if acked is not None:
                resolved = acked + timedelta(minutes=rnd.lognormvariate(5.0, 0.8))
                if resolved > end_of_data:
                    resolved = None
            all_resolved = all_resolved and resolved is not None
            last_resolved = max(last_resolved, resolved or whistled)
            parts.append(
                {
                    "case_id": i,
                    "department_id": dept_id,
                    "status": DeptStatus.RESOLVED
                    if resolved
                    else DeptStatus.ACKED
                    if acked
                    else DeptStatus.PENDING,
                    "ladder_key": "urgent" if urgent else "normal",
                    "ladder_round": int(reopened),
                    "ladder_started_at": whistled,
                    "step": escalations,
                    "escalations": escalations,
                    "dispatched_at": whistled,
                    "ack_due_at": whistled + limit,
                    "acked_at": acked,
                    "first_acked_at": acked,
                    "resolved_at": resolved,
                }
            )
            events.append(
                {
                    "case_id": i,
                    "kind": EventKind.DISPATCHED,
                    "at": whistled,
                    "department_id": dept_id,
                }
            )
            for k in range(escalations):
                events.append(
                    {
                        "case_id": i,
                        "kind": EventKind.ESCALATED,
                        "at": whistled + limit * (k + 1),
                        "department_id": dept_id,
                    }
                )
            if acked is not None:
                events.append(
                    {"case_id": i, "kind": EventKind.ACKED, "at": acked, "department_id": dept_id}
                )
            if resolved is not None:
                events.append(
                    {
                        "case_id": i,
                        "kind": EventKind.RESOLVED,
                        "at": resolved,
                        "department_id": dept_id,
                    }
                )
        closed = None
        if all_resolved and rnd.random() < 0.92:
            closed = last_resolved + timedelta(hours=2)
            if closed > end_of_data:
                closed = None
        if closed is not None:
            if reopened:
                events.append(
                    {
                        "case_id": i,
                        "kind": EventKind.REOPENED,
                        "at": closed - timedelta(hours=1),
                        "department_id": None,
                    }
                )
            events += [
                {
                    "case_id": i,
                    "kind": EventKind.VERIFY_ASKED,
                    "at": last_resolved,
                    "department_id": None,
                },
                {"case_id": i, "kind": EventKind.VERIFIED, "at": closed, "department_id": None},
                {"case_id": i, "kind": EventKind.CLOSED, "at": closed, "department_id": None},
            ]
        cases.append(
            {
                "id": i,
                "number": f"QS-{YEAR}-{i:06d}",
                "year": YEAR,
                "seq": i,
                "category_key": cat,
                "category_name": names[cat],
                "area_id": area_ids[area],
                "address": "",
                "description": "隐患",
                "urgent": urgent,
                "reporter_id": 2 + i % 60,
                "reporter_chat_id": 5000 + i % 60,
                "status": CaseStatus.CLOSED if closed else CaseStatus.IN_PROGRESS,
                "created_at": whistled,
                "dispatched_at": whistled,
                "verified_at": closed,
                "closed_at": closed,
                "reopen_count": int(reopened and closed is not None),
                "updated_at": closed or whistled,
            }
        )
    await _bulk(engine, Case.__table__, cases)
    await _bulk(engine, CaseDepartment.__table__, parts)
    await _bulk(engine, CaseEvent.__table__, events)

    submissions = []
    kinds = {d.key: d.kind for d in org.departments}
    for month in range(1, 13):
        period = f"{YEAR}-{month:02d}"
        for form in src.forms.forms:
            for key, dept_id in ids.items():
                if not form.filled_by.includes(key, kinds[key]) or rnd.random() < 0.1:
                    continue
                at = datetime(YEAR, month, rnd.randint(15, 28), 10, tzinfo=SH).astimezone(UTC)
                answers: dict[str, Any] = {
                    "inspections": rnd.randint(0, 6),
                    "highlight": "组织夜间巡查。",
                }
                if kinds[key] == DepartmentKind.COMMUNITY:
                    answers["trainings"] = [
                        {"date": f"{period}-10", "audience": ["网格员"], "attendees": 20}
                    ]
                submissions.append(
                    {
                        "department_id": dept_id,
                        "form_key": form.key,
                        "period": period,
                        "status": SubmissionStatus.SUBMITTED,
                        "draft": {},
                        "answers": answers,
                        "version": 1,
                        "created_at": at,
                        "updated_at": at,
                        "submitted_at": at,
                        "submitted_by": 1,
                        "late": at.astimezone(SH).day > 25,
                    }
                )
    await _bulk(engine, ReportSubmission.__table__, submissions)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return len(events)


async def time_month(
    engine: AsyncEngine, src: Sources, repeats: int = 3
) -> tuple[float, float, float, int]:
    """Median seconds: all figures, the ledger's share of them, rendering; the month's cases."""
    sessions = make_sessions(engine)
    figures, ledgers, renders = [], [], []
    count = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        async with sessions() as s:
            bulletin = await compute_bulletin(s, src, MONTH, NOW)
        t1 = time.perf_counter()
        render_files(bulletin)
        t2 = time.perf_counter()
        async with sessions() as s:
            depts = await departments(s, src.org)
            t3 = time.perf_counter()
            await ledger(s, Window.of(MONTH, SH, NOW), depts)
            ledgers.append(time.perf_counter() - t3)
        figures.append(t1 - t0)
        renders.append(t2 - t1)
        count = len(bulletin.cases)
    return (
        statistics.median(figures),
        statistics.median(ledgers),
        statistics.median(renders),
        count,
    )


async def _pg_admin(sql: str) -> None:
    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_one(database: str, n_cases: int, src: Sources, workdir: Path) -> Timing:
    name = f"firegrid_bench_{uuid.uuid4().hex[:8]}"
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / (name + '.db')}"
    else:
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade_sync, url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        events = await generate(engine, src, n_cases)
        generated = time.perf_counter() - t0
        figures_s, ledger_s, render_s, month_cases = await time_month(engine, src)
        await engine.dispose()
    finally:
        if database == "postgresql":
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return Timing(database, n_cases, events, generated, figures_s, ledger_s, render_s, month_cases)


async def main(sizes: list[int], databases: list[str]) -> None:
    org = load_org(DEFAULT_ORG)
    src = Sources(org=org, forms=load_org_forms(org, DEFAULT_ORG))
    results: list[Timing] = []
    print(f"Bulletin of {MONTH.label} over a year of records (median of 3 runs, seconds)")
    print("figures: every SQL query of the bulletin, ledger included; ledger: its case list alone;")
    print("render: summary, .docx, .xlsx and chart.\n")
    print(
        f"{'database':<11}{'cases':>9}{'events':>11}{'month':>7}"
        f"{'figures':>9}{'ledger':>8}{'render':>8}{'total':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for database in databases:
            for n in sizes:
                try:
                    r = await run_one(database, n, src, Path(tmp))
                except (OSError, asyncpg.PostgresError) as exc:
                    print(f"{database:<11} skipped: {exc}")
                    break
                results.append(r)
                print(
                    f"{r.database:<11}{r.cases:>9,}{r.events:>11,}{r.month_cases:>7,}"
                    f"{r.figures_s:>9.3f}{r.ledger_s:>8.3f}{r.render_s:>8.3f}"
                    f"{r.figures_s + r.render_s:>8.3f}"
                )
    print()
    for database in databases:
        rows = [r for r in results if r.database == database]
        if len(rows) >= 2:
            small, big = rows[0], rows[-1]
            print(
                f"{database}: {big.cases / small.cases:.0f}x the cases -> figures "
                f"{big.figures_s / small.figures_s:.1f}x, total "
                f"{(big.figures_s + big.render_s) / (small.figures_s + small.render_s):.1f}x"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    asyncio.run(
        main(
            [int(s) for s in args.sizes.split(",")],
            ["sqlite"] if args.no_pg else ["sqlite", "postgresql"],
        )
    )
