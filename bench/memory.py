"""Benchmark: how much memory an idle `firegrid run` holds, against a bare PTB echo bot.

Both run as real processes polling the fake Bot API over HTTP on 127.0.0.1. Five seconds after
each has asked getMe (`firegrid run` has then synced its org file, polled and ticked every
0.2 s), the resident set size (VmRSS) of each is read from /proc and printed with their
ratio, together with the document libraries (matplotlib, python-docx, XlsxWriter, openpyxl) and alembic found open in the bot's
process: none until a bulletin is built or the schema is behind (issue 13: idle ≤ 100 MiB).

    .venv/bin/python -m bench.memory
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.db import upgrade_sync
from faketg import FakeTelegram, serve

TOKEN = "123456789:AAFakeTokenForTheMemoryBenchmark0000"
HEAVY = ("matplotlib", "docx", "xlsxwriter", "openpyxl", "alembic")

ECHO_BOT = """
import sys
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

async def echo(update, context):
    await update.effective_message.reply_text(update.effective_message.text)

app = Application.builder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling()
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def heavy_mapped(pid: int) -> list[str]:
    """Document libraries whose files the process has mapped (their native parts show here)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in HEAVY if f"/site-packages/{name}/" in maps]


def heavy_imported(pid: int) -> list[str]:
    """Document libraries whose package directory the process has opened files in."""
    found = set(heavy_mapped(pid))
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        found.update(name for name in HEAVY if f"/site-packages/{name}/" in target)
    return sorted(found)


async def idle_rss(
    tg: FakeTelegram, command: list[str], env: dict[str, str], settle: float
) -> tuple[float, int]:
    started = len(tg.calls_to("getMe"))
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        await tg.wait_until(lambda: len(tg.calls_to("getMe")) > started, timeout=60)
        await asyncio.sleep(settle)
        if proc.returncode is not None:
            raise RuntimeError(await proc.stderr.read() if proc.stderr else "exited")
        return rss_mib(proc.pid), proc.pid
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)


async def main() -> None:
    tg = FakeTelegram()
    server = serve(tg)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}"
            # An office's bot restarts on a schema that is already current.
            await asyncio.to_thread(upgrade_sync, url)
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": server.base_url,
                "DATABASE_URL": url,
                "FIREGRID_TICK_SECONDS": "0.2",
                "FIREGRID_ADMINS": "",
            }
            firegrid = Path(sys.executable).with_name("firegrid")
            command = [str(firegrid)] if firegrid.exists() else [sys.executable, "-m", "bot.cli"]
            started = time.monotonic()
            bot_rss, _ = await idle_rss(tg, [*command, "run"], env, settle=5.0)
            bot_seconds = time.monotonic() - started
            echo_rss, _ = await idle_rss(
                tg, [sys.executable, "-c", ECHO_BOT, TOKEN, server.base_url], env, settle=5.0
            )
            # Which heavy libraries a live bot has loaded: checked on a fresh process, idle.
            proc = await asyncio.create_subprocess_exec(
                *command, "run", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                started = len(tg.calls_to("getMe"))
                await tg.wait_until(lambda: len(tg.calls_to("getMe")) > started, timeout=60)
                await asyncio.sleep(3.0)
                loaded = heavy_imported(proc.pid)
            finally:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), 20)
    finally:
        server.stop()
    print(
        f"firegrid run, idle:   {bot_rss:6.1f} MiB RSS (up and ticking after {bot_seconds:.1f} s)"
    )
    print(f"bare PTB echo bot:    {echo_rss:6.1f} MiB RSS")
    print(f"ratio:                {bot_rss / echo_rss:6.2f}x")
    print(f"rarely needed libraries open while idle: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    asyncio.run(main())
