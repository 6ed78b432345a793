"""Kill `firegrid run` (SIGKILL) again and again while it delivers; nothing is lost.

A real process polls and sends to the fake Bot API served over HTTP from this test. The
outbox is filled beforehand with a few hundred messages to people and groups; the process is
killed at many points (during start-up and right as messages arrive), restarted each time, and
finally allowed to finish. Every message must arrive, in per-chat order, with at most one
duplicate per kill (the one message in flight). Runs in CI.

The runs are forked from a forkserver that imported the bot once (firegrid_process.py), so a
restart costs the bot's own start-up (~0.8 s of CPU), not a fresh interpreter's imports
(~2 s more): the kills come as fast as the bot can start and deliver.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from multiprocessing.context import ForkServerProcess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import make_engine, make_sessions
from faketg import FakeTelegram, serve
from models.outbox import OutboxMessage, OutboxStatus
from services.clock import SystemClock
from services.outbox import Outgoing, enqueue
from tests.delivery.firegrid_process import start_run

TOKEN = "123456789:AAFakeTokenForTheSimulatedTelegram0"
MESSAGES = 300
KILLS = 8


def firegrid_command() -> list[str]:
    script = Path(sys.executable).with_name("firegrid")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


class Bot:
    """One `firegrid run` process at a time (forked, see firegrid_process.py), logging to a file."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env, self.cwd, self.log = env, cwd, log
        self.proc: ForkServerProcess | None = None
        self.runs = 0

    def start(self) -> ForkServerProcess:
        self.runs += 1
        with self.log.open("ab") as out:
            out.write(f"\n===== run {self.runs} =====\n".encode())
        self.proc = start_run(self.env, self.cwd, self.log)
        return self.proc

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL
        self.proc.join(timeout=10)
        assert self.proc.exitcode == -signal.SIGKILL

    def stop(self) -> int | None:
        """SIGTERM, as a service manager stops it; the exit code."""
        assert self.proc is not None
        self.proc.terminate()
        self.proc.join(timeout=20)
        return self.proc.exitcode

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=10)


async def fill_outbox(database_url: str, chats: list[int]) -> list[tuple[int, str]]:
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    now = SystemClock().now()
    expected = []
    async with sessions() as session, session.begin():
        for n in range(MESSAGES):
            chat = chats[n % len(chats)]
            text = f"m{n:04d}"
            await enqueue(session, Outgoing(text=text, parse_mode=None), chat_id=chat, now=now)
            expected.append((chat, text))
    await engine.dispose()
    return expected


async def outbox_status(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        counts = {status: int(n) for status, n in rows}
    await engine.dispose()
    return counts


@pytest.fixture
def world():
    tg = FakeTelegram()
    server = serve(tg)
    yield tg, server
    server.stop()


async def test_sigkill_at_many_points_loses_nothing(world, sqlite_url: str, tmp_path: Path):
    tg, server = world
    people = [tg.user(5000 + i, f"成员{i}", started=True).record.id for i in range(40)]
    groups = [tg.create_group(f"工作群{i}") for i in range(20)]
    expected = await fill_outbox(sqlite_url, people + groups)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_URL": sqlite_url,
        "FIREGRID_TICK_SECONDS": "0.2",
        "FIREGRID_ADMINS": "",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "firegrid.log"
    bot = Bot(env, tmp_path, log)
    rng = random.Random(20261130)

    def delivered() -> int:
        return sum(1 for m in tg.all_messages() if m.from_bot and m.text.startswith("m"))

    def started() -> int:
        return len(tg.calls_to("getMe"))

    try:
        for kill in range(KILLS):
            bot.start()
            if kill == 0:
                # Killed during start-up, before it sends anything.
                await tg.wait_until(lambda: started() >= 1, timeout=30)
            else:
                target = delivered() + rng.randint(8, 30)
                await tg.wait_until(lambda t=target: delivered() >= t, timeout=30)
            bot.kill()
        bot.start()
        await tg.wait_until(
            lambda: len({m.text for m in tg.all_messages()} & {t for _, t in expected}) == MESSAGES,
            timeout=60,
        )
        assert bot.stop() == 0
    finally:
        bot.ensure_dead()

    output = log.read_text(errors="replace")
    assert TOKEN not in output
    seen: dict[int, list[str]] = {}
    for message in tg.all_messages():
        if message.from_bot and message.text.startswith("m"):
            seen.setdefault(message.chat_id, []).append(message.text)
    want: dict[int, list[str]] = {}
    for chat, text in expected:
        want.setdefault(chat, []).append(text)
    duplicates = 0
    for chat, texts in want.items():
        got = seen.get(chat, [])
        # A repeat can only be the message in flight at a kill: it directly follows itself.
        collapsed = [t for i, t in enumerate(got) if i == 0 or got[i - 1] != t]
        assert collapsed == texts, f"chat {chat}: {got}"
        duplicates += len(got) - len(collapsed)
    counts = Counter(t for texts in seen.values() for t in texts)
    assert set(counts) == {t for _, t in expected}
    assert duplicates <= KILLS, f"{duplicates} duplicates for {KILLS} kills"
    assert await outbox_status(sqlite_url) == {OutboxStatus.SENT: MESSAGES}
    print(f"\n{KILLS} kills, {bot.runs} runs, {duplicates} duplicate(s), {MESSAGES} delivered")


async def test_a_second_process_on_the_same_sqlite_file_refuses_to_start(
    world, sqlite_url: str, tmp_path: Path
):
    tg, server = world
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_URL": sqlite_url,
        "FIREGRID_TICK_SECONDS": "0.2",
    }
    bot = Bot(env, tmp_path, tmp_path / "first.log")
    try:
        bot.start()
        await tg.wait_until(lambda: len(tg.calls_to("getMe")) >= 1, timeout=30)
        second = await asyncio.create_subprocess_exec(
            *firegrid_command(),
            "run",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await second.communicate()
        assert bot.proc is not None and bot.proc.is_alive()  # the first one runs on
    finally:
        bot.ensure_dead()
    assert second.returncode != 0
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, err
    assert "already running" in lines[0] and "firegrid.db" in lines[0]
