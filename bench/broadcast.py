"""Benchmark: one message to each of 1,000 groups through the real delivery path.

The production Application (outbox rows in SQLite, the courier, PTB's HTTP client) sends to the
fake Bot API served over HTTP on 127.0.0.1, which enforces Telegram's limits (30 msg/s overall,
20/min per group, 1/s per private chat) and answers 429 when they are broken. Prints the total
time, the ceiling (messages / 30 s), their ratio and the number of 429s.

    .venv/bin/python -m bench.broadcast                  # 1,000 groups over HTTP
    .venv/bin/python -m bench.broadcast --in-process     # the same without sockets (FakeRequest)
    .venv/bin/python -m bench.broadcast --pg             # on a scratch PostgreSQL database
    .venv/bin/python -m bench.broadcast --raw            # no limits: the path's own speed
    .venv/bin/python -m bench.broadcast --processes 3    # three `firegrid worker` processes
        [--groups 200 --per-group 5] [--kill-at 0.4]     # on PostgreSQL, one budget for all
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import BuildOptions, build_application, infra_of, startup
from bot.db import upgrade_sync
from bot.delivery import Outcome
from bot.settings import load_settings
from faketg import FakeRequest, FakeTelegram, serve
from models.outbox import OutboxMessage, OutboxStatus
from services.outbox import Outgoing, enqueue
from sim.fleet import Broadcast, Fleet, broadcast

TOKEN = "123456789:AAFakeTokenForTheBroadcastBenchmark0"
TELEGRAM_RATE = 30.0
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def run(
    groups: int, *, in_process: bool, database_url: str, raw: bool = False
) -> dict[str, float]:
    tg = FakeTelegram(enforce_limits=not raw, clock=time.monotonic)
    chats = [tg.create_group(f"网格工作群{i:04d}") for i in range(groups)]
    server = None if in_process else serve(tg)
    settings = load_settings(
        telegram_bot_token=TOKEN,
        database_url=database_url,
        telegram_api_base_url=server.base_url if server else "http://127.0.0.1:9/bot",
        firegrid_tick_seconds=1,
    )
    options = BuildOptions(scheduler=False, migrate=False, rate_limiter=not raw)
    if in_process:
        options.request, options.updates_request = FakeRequest(tg), FakeRequest(tg)
    app = build_application(settings, options)
    await app.initialize()
    await startup(app)
    rt = app.bot_data.runtime
    courier = infra_of(app).courier
    try:
        async with rt.transaction() as session:
            for n, chat in enumerate(chats):
                await enqueue(
                    session,
                    Outgoing(text=f"【通报】<b>第{n + 1}号</b>：请于本周五前完成消防通道自查。"),
                    chat_id=chat,
                    now=rt.now(),
                    dedupe_key=f"bench:broadcast:{n}",
                )
        started = time.monotonic()
        while True:
            await courier.deliver_due()
            async with rt.transaction() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
                )
            if not left:
                break
            await asyncio.sleep(0.2)  # a 429 was answered: its row is due after retry_after
        elapsed = time.monotonic() - started
    finally:
        await app.shutdown()
        await app.post_shutdown(app)  # type: ignore[misc]
        if server is not None:
            server.stop()
    received = [len(tg.bot_messages(chat)) for chat in chats]
    assert received == [1] * groups, "every group must get exactly one message"
    return {
        "elapsed": elapsed,
        "ceiling": groups / TELEGRAM_RATE,
        "rejected": float(tg.limits.rejected if tg.limits else 0),
        "retried": float(courier.stats[Outcome.RETRY]),
    }


async def run_processes(
    processes: int, groups: int, per_group: int, database_url: str, kill_at: float | None
) -> Broadcast:
    """`processes` real `firegrid worker` subprocesses deliver to the fake Bot API over HTTP."""
    tg = FakeTelegram(enforce_limits=True, clock=time.monotonic)
    server = serve(tg)
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(database_url, server.base_url, Path(tmp))
        try:
            return await broadcast(
                tg, fleet, processes=processes, groups=groups, per_group=per_group, kill_at=kill_at
            )
        finally:
            fleet.ensure_dead()
            server.stop()


def print_processes(args: argparse.Namespace, result: Broadcast) -> None:
    ceiling = result.messages / TELEGRAM_RATE
    print(
        f"{args.processes} worker processes, {result.messages} messages to {args.groups} groups "
        f"({args.per_group} each), PostgreSQL, HTTP, fake Bot API enforcing limits per token"
    )
    print(f"  total time     {result.elapsed:.1f} s  ({result.rate:.1f} msg/s; cap 33 = 1.1 x 30)")
    print(f"  ceiling        {ceiling:.1f} s  ({result.messages} / 30 per second)")
    print(f"  ratio          {result.elapsed / ceiling:.3f}")
    print(f"  429 answers    {result.rejected}")
    shares = ", ".join(f"pid {pid}: {n}" for pid, n in sorted(result.senders.items()))
    print(f"  sent by        {shares}")
    print(
        f"  in chat order  {result.ordered}; repeated {result.repeats}; rows {dict(result.statuses)}"
    )
    if result.victim is not None:
        print(
            f"  killed         pid {result.victim} holding row(s) {result.victim_rows}; "
            "the others finished its chats"
        )


async def pg_database(url: str, *, create: bool) -> str:
    """Create (or drop) a scratch database next to the one in `url`; returns its URL."""
    parsed = make_url(url)
    name = f"firegrid_bench_{os.getpid()}" if create else parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--per-group", type=int, default=1, help="messages per group (--processes)")
    parser.add_argument(
        "--processes", type=int, default=0, help="deliver with N `firegrid worker` processes (PG)"
    )
    parser.add_argument(
        "--kill-at", type=float, default=None, help="SIGKILL one worker at this fraction delivered"
    )
    parser.add_argument("--in-process", action="store_true", help="FakeRequest instead of HTTP")
    parser.add_argument(
        "--raw", action="store_true", help="no limits anywhere: how fast the path itself is"
    )
    parser.add_argument(
        "--pg",
        metavar="URL",
        nargs="?",
        const=PG_DEFAULT,
        help="run on a fresh database created on this PostgreSQL server (dropped afterwards)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.processes:
        database_url = asyncio.run(pg_database(args.pg or PG_DEFAULT, create=True))
        try:
            upgrade_sync(database_url)
            print_processes(
                args,
                asyncio.run(
                    run_processes(
                        args.processes, args.groups, args.per_group, database_url, args.kill_at
                    )
                ),
            )
        finally:
            asyncio.run(pg_database(database_url, create=False))
        return
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        if args.pg:
            database_url = asyncio.run(pg_database(args.pg, create=True))
        try:
            upgrade_sync(database_url)
            result = asyncio.run(
                run(
                    args.groups,
                    in_process=args.in_process,
                    database_url=database_url,
                    raw=args.raw,
                )
            )
        finally:
            if args.pg:
                asyncio.run(pg_database(database_url, create=False))
    transport = "in-process FakeRequest" if args.in_process else "HTTP on 127.0.0.1"
    database = "PostgreSQL" if args.pg else "SQLite"
    ratio = result["elapsed"] / result["ceiling"]
    limits = "no limits (--raw)" if args.raw else "fake Bot API enforcing limits"
    print(f"broadcast to {args.groups} groups ({database}, {transport}, {limits})")
    print(
        f"  total time     {result['elapsed']:.1f} s  ({args.groups / result['elapsed']:.0f} msg/s)"
    )
    print(f"  ceiling        {result['ceiling']:.1f} s  ({args.groups} / 30 per second)")
    print(f"  ratio          {ratio:.3f}  (target <= 1.1)")
    print(f"  429 answers    {int(result['rejected'])}  (rows retried: {int(result['retried'])})")


if __name__ == "__main__":
    main()
