"""Several `firegrid <role>` processes on one database, against the fake Bot API over HTTP.

The multi-process test and `bench/broadcast.py --processes N` both start real subprocesses
(`python -m bot.cli worker`), fill the outbox, kill one on request and read what each sent.
Real processes, not tasks in one loop: what is shared must go through PostgreSQL, and a
SIGKILL must leave exactly what a dead machine leaves (a claimed row, a stale heartbeat).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bot.db import make_engine, make_sessions
from faketg import FakeTelegram
from models.instances import Instance
from models.outbox import OutboxMessage, OutboxStatus
from services.clock import SystemClock
from services.outbox import Outgoing, enqueue
from sim.simulation import FAKE_TOKEN


def firegrid_command() -> list[str]:
    script = Path(sys.executable).with_name("firegrid")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@dataclass
class Fleet:
    """`count` processes of one role; each logs to its own file in `folder`."""

    database_url: str
    base_url: str
    folder: Path
    role: str = "worker"
    instance_timeout: float = 3.0
    tick_seconds: float = 5.0  # the courier still passes every second
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: list[int] = field(default_factory=list)
    startup: float = 0.0  # seconds from the first start to every process beating

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
            "TELEGRAM_API_BASE_URL": self.base_url,
            "DATABASE_URL": self.database_url,
            "FIREGRID_TICK_SECONDS": str(self.tick_seconds),
            "FIREGRID_INSTANCE_TIMEOUT": str(self.instance_timeout),
            "FIREGRID_LISTEN": "127.0.0.1:0",  # each its own free port for /healthz, /metrics
            "FIREGRID_ADMINS": "",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, count: int) -> None:
        env = self.env()
        for n in range(count):
            with (self.folder / f"{self.role}-{n}.log").open("ab") as out:
                self.procs.append(
                    subprocess.Popen(
                        [*firegrid_command(), self.role],
                        env=env,
                        cwd=self.folder,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )

    async def wait_registered(self, within: float = 180.0) -> None:
        """Until every process beats in the instances table (start-up done)."""
        deadline = time.monotonic() + within
        while len(await self.registered()) < len(self.procs):
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"a {self.role} exited with {proc.returncode}: {self.logs()}"
                    )
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.role}s did not start: {self.logs()}")
            await asyncio.sleep(0.1)

    async def registered(self) -> set[int]:
        """Pids of the processes that beat."""
        engine = make_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                names = list(await conn.scalars(select(Instance.name)))
        finally:
            await engine.dispose()
        return {pid_of(name) for name in names}

    def kill(self, pid: int) -> None:
        """SIGKILL: no clean-up at all, as when a machine dies."""
        proc = next(p for p in self.procs if p.pid == pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        self.killed.append(pid)

    def stop(self) -> list[int]:
        """SIGTERM to the live ones; their exit codes."""
        live = [p for p in self.procs if p.pid not in self.killed and p.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in live:
            try:
                codes.append(proc.wait(timeout=30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait(timeout=10))
        return codes

    def ensure_dead(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.folder.glob(f"{self.role}-*.log"))
        )


def pid_of(worker: str) -> int:
    """The pid in a courier's worker id (host:pid:random)."""
    return int(worker.split(":")[-2])


async def fill(database_url: str, chats: list[int], per_chat: int) -> dict[int, list[str]]:
    """`per_chat` messages to each chat, interleaved (chat by chat, round after round)."""
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    now = SystemClock().now()
    expected: dict[int, list[str]] = {chat: [] for chat in chats}
    try:
        async with sessions() as session, session.begin():
            for n in range(per_chat):
                for c, chat in enumerate(chats):
                    text = f"【通报】第{c:04d}群 第{n + 1}条：请于本周五前完成消防通道自查。"
                    await enqueue(
                        session, Outgoing(text=text, parse_mode=None), chat_id=chat, now=now
                    )
                    expected[chat].append(text)
    finally:
        await engine.dispose()
    return expected


async def in_flight(database_url: str, pid: int) -> list[int]:
    """Outbox rows a process has claimed and not finished."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(OutboxMessage.id, OutboxMessage.claimed_by).where(
                    OutboxMessage.status == OutboxStatus.SENDING
                )
            )
            return [row_id for row_id, worker in rows if worker and pid_of(worker) == pid]
    finally:
        await engine.dispose()


async def outcome(database_url: str) -> tuple[Counter[str], Counter[int]]:
    """Rows by status, and sent rows by the pid that sent them."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            statuses = Counter(
                {
                    status: int(n)
                    for status, n in await conn.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    )
                }
            )
            senders = Counter(
                pid_of(worker)
                for worker in await conn.scalars(
                    select(OutboxMessage.claimed_by).where(
                        OutboxMessage.status == OutboxStatus.SENT
                    )
                )
                if worker
            )
    finally:
        await engine.dispose()
    return statuses, senders


def received(tg: FakeTelegram, chats: list[int]) -> dict[int, list[str]]:
    return {chat: [m.text for m in tg.bot_messages(chat)] for chat in chats}


def in_order(got: list[str], want: list[str]) -> tuple[bool, int]:
    """Whether `got` is `want` in order, a message in flight at a kill possibly repeated right
    after itself; and how many such repeats."""
    collapsed = [t for i, t in enumerate(got) if i == 0 or got[i - 1] != t]
    return collapsed == want, len(got) - len(collapsed)


@dataclass
class Broadcast:
    """What a fleet's broadcast came to."""

    messages: int
    elapsed: float  # from the outbox filled to the last message received
    rejected: int  # 429s the fake Bot API answered
    statuses: Counter[str]
    senders: Counter[int]  # sent rows per worker pid
    repeats: int  # messages received twice (only the one in flight at a kill may be)
    ordered: bool  # every chat received its messages in the order written
    victim: int | None = None
    victim_rows: list[int] = field(default_factory=list)  # what it had claimed when killed
    exit_codes: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.elapsed


async def broadcast(
    tg: FakeTelegram,
    fleet: Fleet,
    *,
    processes: int,
    groups: int,
    per_group: int,
    kill_at: float | None = None,
    within: float = 180.0,
) -> Broadcast:
    """Start the fleet, write `groups` x `per_group` messages, wait until all arrived; with
    `kill_at` (a fraction), SIGKILL a worker holding a claimed row once that much arrived."""
    chats = [tg.create_group(f"网格工作群{i:04d}") for i in range(groups)]
    total = groups * per_group
    booted = time.monotonic()
    fleet.start(processes)
    await fleet.wait_registered()
    fleet.startup = time.monotonic() - booted
    expected = await fill(fleet.database_url, chats, per_group)
    started = time.time()  # the fake Bot API stamps messages with time.time()
    deadline = time.monotonic() + within
    victim: int | None = None
    victim_rows: list[int] = []
    last_check = 0.0
    while True:
        count = tg.count_messages(from_bot=True)
        now = time.monotonic()
        if kill_at is not None and victim is None and count >= kill_at * total:
            for proc in fleet.procs:
                # Frozen first, so the rows it holds are still the ones it holds when it dies.
                proc.send_signal(signal.SIGSTOP)
                rows = await in_flight(fleet.database_url, proc.pid)
                if rows:
                    fleet.kill(proc.pid)
                    victim, victim_rows = proc.pid, rows
                    break
                proc.send_signal(signal.SIGCONT)
        if count >= total and now - last_check > 0.3:
            last_check = now
            statuses, _ = await outcome(fleet.database_url)
            if not statuses.get(OutboxStatus.PENDING) and not statuses.get(OutboxStatus.SENDING):
                break
        if now > deadline:
            raise TimeoutError(f"{count} of {total} arrived: {fleet.logs()}")
        await asyncio.sleep(0.02)
    elapsed = last_arrival(tg, chats) - started
    codes = fleet.stop()
    statuses, senders = await outcome(fleet.database_url)
    got = received(tg, chats)
    ordered, repeats = True, 0
    for chat in chats:
        ok, extra = in_order(got[chat], expected[chat])
        ordered, repeats = ordered and ok, repeats + extra
    return Broadcast(
        messages=total,
        elapsed=elapsed,
        rejected=tg.limits.rejected if tg.limits is not None else 0,
        statuses=statuses,
        senders=senders,
        repeats=repeats,
        ordered=ordered,
        victim=victim,
        victim_rows=victim_rows,
        exit_codes=codes,
    )


def last_arrival(tg: FakeTelegram, chats: list[int]) -> float:
    """When the last of these chats' messages arrived (the fake Bot API's wall clock)."""
    return max(m.sent_at.timestamp() for chat in chats for m in tg.bot_messages(chat))
