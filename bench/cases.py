"""Benchmark: whistles and 报到 presses through the real Application, beside a bare PTB echo bot.

Both bots run in-process on the same transport (the fake Telegram, FakeRequest), so the ratio
is what FireGrid's handlers, guards and database transactions cost over PTB's own dispatch.
Then a scheduler tick over 10,000 open cases with nothing due (the index on
case_departments(status, next_ping_at) is what keeps it flat).

    .venv/bin/python -m bench.cases                   # SQLite (the default deployment)
    .venv/bin/python -m bench.cases --whistles 50 --echo 500
    .venv/bin/python -m bench.cases --pg              # the tick also on PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.db import make_engine, make_sessions, upgrade_sync
from bot.settings import DEFAULT_ORG
from faketg import FakeRequest, FakeTelegram
from models.cases import Case, CaseDepartment, CaseStatus, DeptStatus
from models.enums import Role
from models.people import Person
from services.cases import tick
from services.clock import FakeClock
from services.org_sync import sync_org
from services.orgconfig import load_org
from services.runtime import Runtime
from services.workdays import WorkdayCalendar
from sim.simulation import Simulation

START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai
ADMIN = 1001
GROUPS = ["police_station_qianshan", "housing", "community_qianshan"]
MEMBERS = {"police_station_qianshan": 4001, "housing": 4002, "community_qianshan": 4003}
CATEGORY_ROTATION = ["消防通道堵塞", "电动自行车违规停放充电", "九小场所隐患"]
PG_URL = os.environ.get(
    "FIREGRID_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Rate:
    what: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")

    def line(self) -> str:
        return (
            f"{self.what:<48} {self.count:>6} in {self.seconds:6.2f} s = {self.per_second:8.1f}/s"
        )


async def _timed(count: int, what: str, action: Callable[[], Awaitable[None]]) -> Rate:
    began = time.perf_counter()
    await action()
    return Rate(what, count, time.perf_counter() - began)


# -- the bare echo bot ----------------------------------------------------------------------------


async def echo_rate(messages: int) -> Rate:
    """A PTB Application that answers every text with the same text, on the fake Telegram."""
    tg = FakeTelegram()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None and update.effective_message.text:
            await update.effective_message.reply_text(update.effective_message.text)

    app = Application.builder().token(tg.token).request(FakeRequest(tg)).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        tg.attach(app)
        user = tg.user(2001, "回声")

        async def run() -> None:
            for i in range(messages):
                await user.send(user.id, f"消息{i}")

        rate = await _timed(messages, "echo bot: messages answered", run)
        assert tg.count_messages(user.id, from_bot=True) == messages
    return rate


# -- FireGrid: whistles and 报到 --------------------------------------------------------------------


async def _office(sim: Simulation) -> dict[str, int]:
    """Bind the three groups and register one member each (through the real commands)."""
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    groups: dict[str, int] = {}
    for key in GROUPS:
        groups[key] = tg.create_group(f"{key}群", supergroup=True)
        await coord.send(groups[key], f"/bind {key}")
    for key, uid in MEMBERS.items():
        await coord.send(ADMIN, f"/invite 成员 {key}")
        match = re.search(r"start=([A-Za-z0-9]+)", tg.last_message(ADMIN).text)
        assert match is not None
        await tg.user(uid, f"成员{uid}").send(uid, f"/start {match.group(1)}")
    return groups


async def firegrid_rates(whistles: int) -> tuple[Rate, Rate, Rate, Rate, Rate]:
    """Whistle conversations and 报到 presses through build_application on SQLite."""
    folder = Path(tempfile.mkdtemp(prefix="firegrid-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await asyncio.to_thread(upgrade_sync, url)
    clock = FakeClock(START)
    sim = Simulation(database_url=url, clock=clock)
    await sim.start()
    groups = await _office(sim)
    tg = sim.tg
    coord = tg.actor(ADMIN)
    updates = 0

    async def whistle_all() -> None:
        nonlocal updates
        for i in range(whistles):
            before = len(tg.callbacks) + tg.count_messages(ADMIN, from_bot=False)
            await coord.send(ADMIN, "吹哨")
            await coord.press(ADMIN, CATEGORY_ROTATION[i % len(CATEGORY_ROTATION)])
            await coord.press(ADMIN, "梨花苑小区")
            await coord.send_location(ADMIN, 41.1, 123.0)
            await coord.send(ADMIN, f"{i + 1}号楼东侧")
            await coord.send_photo(ADMIN)
            await coord.press(ADMIN, "完成")
            await coord.send(ADMIN, "通道被杂物堵塞，需要清理。")
            await coord.press(ADMIN, "紧急")
            if "仍然新建" in tg.last_message(ADMIN).button_labels:
                await coord.press(ADMIN, "仍然新建")
            await coord.press(ADMIN, "提交")
            assert "案件编号" in tg.last_message(ADMIN).text, tg.last_message(ADMIN).text
            updates += len(tg.callbacks) + tg.count_messages(ADMIN, from_bot=False) - before

    whistled = await _timed(whistles, "FireGrid: whistle submissions (conversation)", whistle_all)
    conversation = Rate("FireGrid: updates in those conversations", updates, whistled.seconds)

    async def deliver() -> None:
        await sim.tick()

    rows = whistles * len(GROUPS) * 3  # card, photo, map pin per department
    delivered = await _timed(rows, "FireGrid: dispatch messages delivered (outbox)", deliver)

    housing = groups["housing"]
    cards = [m for m in tg.bot_messages(housing) if "报到" in m.button_labels]
    member = tg.actor(MEMBERS["housing"])

    async def press_all() -> None:
        for card in cards:
            answer = await member.press(housing, "报到", message_id=card.message_id)
            assert answer is not None and "已报到" in (answer.text or ""), answer

    pressed = await _timed(len(cards), "FireGrid: 报到 presses answered", press_all)
    edits = await _timed(len(cards) * len(GROUPS), "FireGrid: card edits delivered", deliver)
    await sim.stop()
    return whistled, conversation, delivered, pressed, edits


# -- a tick over 10,000 open cases ----------------------------------------------------------------


async def _seed_open_cases(url: str, count: int) -> tuple[Runtime, AsyncEngine]:
    """`count` open urgent cases, three departments each, every next ping a day away."""
    org = load_org(DEFAULT_ORG)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, org, START)
    async with engine.connect() as conn:
        depts: dict[str, int] = {
            k: i for k, i in (await conn.execute(text("SELECT key, id FROM departments"))).all()
        }
        area = (await conn.execute(text("SELECT id FROM areas WHERE key='qianshan'"))).scalar()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Person),
            [
                {
                    "id": 1,
                    "telegram_user_id": ADMIN,
                    "display_name": "协调员",
                    "role": Role.COORDINATOR,
                    "department_id": depts["coordinator_office"],
                    "active": True,
                    "joined_at": START,
                }
            ],
        )
    later = START + timedelta(days=1)
    for first in range(0, count, 2000):
        ids = range(first + 1, min(first + 2000, count) + 1)
        cases: list[dict[str, Any]] = [
            {
                "id": i,
                "number": f"QS-2026-{i:05d}",
                "year": 2026,
                "seq": i,
                "category_key": "fire_lane",
                "category_name": "消防通道堵塞",
                "area_id": area,
                "description": "基准测试",
                "urgent": True,
                "reporter_id": 1,
                "reporter_chat_id": ADMIN,
                "status": CaseStatus.DISPATCHED,
                "created_at": START,
                "dispatched_at": START,
                "reopen_count": 0,
                "updated_at": START,
            }
            for i in ids
        ]
        parts = [
            {
                "case_id": i,
                "department_id": depts[key],
                "status": DeptStatus.PENDING,
                "ladder_key": "urgent",
                "ladder_round": 0,
                "ladder_started_at": START,
                "step": 0,
                "next_ping_at": later,
                "escalations": 0,
                "dispatched_at": START,
            }
            for i in ids
            for key in GROUPS
        ]
        async with engine.begin() as conn:
            await conn.execute(insert(Case), cases)
            await conn.execute(insert(CaseDepartment), parts)
    runtime = Runtime(
        sessions=sessions,
        org=org,
        clock=FakeClock(START),
        calendar=WorkdayCalendar.build(max_package_year=2026),
    )
    return runtime, engine


async def tick_rate(url: str, label: str, cases: int, runs: int = 20) -> str:
    rt, engine = await _seed_open_cases(url, cases)
    now = START + timedelta(hours=1)
    await tick.step(rt, now)  # warm the connection pool and caches
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        done = await tick.step(rt, now)
        samples.append(time.perf_counter() - began)
        assert done == 0
    await engine.dispose()
    return (
        f"tick over {cases:,} open cases, nothing due ({label}): "
        f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms "
        f"({runs} runs)"
    )


async def _pg_database() -> str | None:
    name = f"firegrid_bench_{uuid.uuid4().hex[:8]}"
    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_sync, url)
    return url


async def _pg_drop(url: str) -> None:
    name = make_url(url).database
    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=3)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def main(whistles: int, echo: int, open_cases: int, pg: bool) -> None:
    logging.disable(logging.WARNING)
    echo_r = await echo_rate(echo)
    whistled, conversation, delivered, pressed, edits = await firegrid_rates(whistles)
    print("Through the real Application on the in-process fake Telegram (SQLite):")
    for rate in (echo_r, whistled, conversation, delivered, pressed, edits):
        print("  " + rate.line())
    print(
        f"  ratio echo messages/s : FireGrid conversation updates/s = "
        f"{echo_r.per_second / conversation.per_second:.1f} : 1"
    )
    print(
        f"  ratio echo messages/s : FireGrid 报到 presses/s = "
        f"{echo_r.per_second / pressed.per_second:.1f} : 1"
    )
    folder = Path(tempfile.mkdtemp(prefix="firegrid-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'tick.db'}"
    await asyncio.to_thread(upgrade_sync, url)
    print(await tick_rate(url, "SQLite", open_cases))
    if pg:
        pg_url = await _pg_database()
        if pg_url is None:
            print(f"PostgreSQL not reachable at {PG_URL}: tick skipped")
        else:
            try:
                print(await tick_rate(pg_url, "PostgreSQL", open_cases))
            finally:
                await _pg_drop(pg_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--whistles", type=int, default=100)
    parser.add_argument("--echo", type=int, default=1000)
    parser.add_argument("--open-cases", type=int, default=10_000)
    parser.add_argument("--pg", action="store_true", help="also time the tick on PostgreSQL")
    args = parser.parse_args()
    asyncio.run(main(args.whistles, args.echo, args.open_cases, args.pg))
