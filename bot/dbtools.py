"""`firegrid db backup|current|check`: what an operator runs before an upgrade or after a scare.

Exit codes: 0 done / all checks passed; 2 a configuration mistake (DATABASE_URL, unreachable
database: bot.dbcheck); 5 a check failed or a backup could not be made (the line says which).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url

from bot.db import alembic_config, is_sqlite, make_engine, sqlite_path
from bot.dbcheck import check_database

CHECK_FAILED = 5


def _print(line: str) -> None:
    print(line, flush=True)


def _fail(line: str) -> int:
    print(f"firegrid: {line}", file=sys.stderr, flush=True)
    return CHECK_FAILED


# -- backup ------------------------------------------------------------------------------------


def backup(url: str, target: Path) -> int:
    """SQLite: the online backup API (safe while the bot runs). PostgreSQL: pg_dump, or its line."""
    if target.exists():
        return _fail(f"{target} exists already; choose a new file name (nothing was written)")
    if is_sqlite(url):
        return _backup_sqlite(url, target)
    return _backup_postgres(url, target)


def _backup_sqlite(url: str, target: Path) -> int:
    source = sqlite_path(url)
    if source is None or not source.exists():
        return _fail(f"DATABASE_URL names no SQLite file to back up ({source})")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        # Page by page, consistent even while the bot writes (WAL): no need to stop it.
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    _print(f"backed up {source} to {target} ({target.stat().st_size:,} bytes)")
    return 0


def pg_dump_command(url: str, target: Path) -> list[str]:
    """The pg_dump call for DATABASE_URL (the password goes in PGPASSWORD, never in argv)."""
    parsed = make_url(url)
    command = ["pg_dump", "--format=custom", f"--file={target}"]
    if parsed.host:
        command.append(f"--host={parsed.host}")
    if parsed.port:
        command.append(f"--port={parsed.port}")
    if parsed.username:
        command.append(f"--username={parsed.username}")
    command.append(str(parsed.database))
    return command


def _backup_postgres(url: str, target: Path) -> int:
    command = pg_dump_command(url, target)
    password = make_url(url).password
    shown = " ".join(command)
    if shutil.which("pg_dump") is None:
        prefix = "PGPASSWORD=… " if password else ""
        _print("pg_dump is not installed here; run this where it is (same major version as")
        _print(f"the server), then restore with pg_restore:\n  {prefix}{shown}")
        return CHECK_FAILED
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return _fail(f"pg_dump failed ({reason}); command: {shown}")
    _print(f"backed up {make_url(url).database} to {target} with pg_dump (restore: pg_restore)")
    return 0


# -- current and check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)


def revision(url: str) -> Revision:
    """The schema revision(s) the database is at, and the code's head(s)."""
    heads = tuple(ScriptDirectory.from_config(alembic_config(url)).get_heads())

    def read(connection: Connection) -> tuple[str, ...]:
        return tuple(MigrationContext.configure(connection).get_current_heads())

    async def current() -> tuple[str, ...]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(read)
        finally:
            await engine.dispose()

    return Revision(current=asyncio.run(current()), heads=heads)


def current(url: str) -> int:
    check_database(url)
    found = revision(url)
    now = ", ".join(found.current) or "empty (no schema yet)"
    if found.at_head:
        _print(f"{now} (head)")
    else:
        _print(f"{now}; the code is at {', '.join(found.heads)}: run firegrid db upgrade")
    return 0


def check(url: str) -> int:
    """Reachable and writable, schema at head, SQLite pages intact; one line per check."""
    check_database(url)
    _print("database reachable and writable: OK")
    problems = 0
    found = revision(url)
    if found.at_head:
        _print(f"schema at head ({', '.join(found.heads)}): OK")
    else:
        problems += 1
        _print(
            f"schema: at {', '.join(found.current) or 'nothing'}, code at "
            f"{', '.join(found.heads)}: run firegrid db upgrade"
        )
    if is_sqlite(url):
        result = _sqlite_integrity(url)
        if result == "ok":
            _print("SQLite integrity_check: OK")
        else:
            problems += 1
            _print(f"SQLite integrity_check: {result}")
    if problems:
        return _fail(f"{problems} check(s) failed (see above)")
    return 0


def _sqlite_integrity(url: str) -> str:
    path = sqlite_path(url)
    if path is None:
        return "ok"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "; ".join(str(r[0]) for r in rows[:5])
