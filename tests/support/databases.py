"""Real test databases: a migrated SQLite template copied per test, and a PostgreSQL database
created once per run (emptied between tests). PostgreSQL tests skip, with the reason, when
no server answers."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from bot.db import upgrade_sync
from models.base import Base

T = TypeVar("T")

PG_ADMIN_URL = os.environ.get(
    "FIREGRID_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def sqlite_template(directory: Path) -> Path:
    """Migrate a SQLite file once; tests copy it (much faster than migrating per test)."""
    path = directory / "template.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "firegrid.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _in_thread(func: Callable[[], T]) -> T:
    """Run blocking code that starts its own event loop, even when called inside a loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func).result()


def pg_create() -> tuple[str | None, str]:
    """Create and migrate a fresh database; returns (url, "") or (None, reason)."""
    return _in_thread(_pg_create)


def _pg_create() -> tuple[str | None, str]:
    name = f"firegrid_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not wait for each commit to reach the disk: the commits
        # are the same, only their fsync is skipped (it dominated the PostgreSQL tests' time
        # on a busy machine). What the tests check is unchanged.
        asyncio.run(_admin(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return None, f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_sync(url)
    return url, ""


def pg_drop(url: str) -> None:
    name = make_url(url).database
    _in_thread(lambda: asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def pg_truncate(url: str) -> None:
    """Empty every table and restart every id sequence (keeps the schema) so each test starts
    clean, as TRUNCATE ... RESTART IDENTITY would. DELETE instead: TRUNCATE gives each of the
    tables and their indexes new files, ~0.2 s on a quiet machine and over 1 s on a busy one;
    deleting the few rows one test left is ~10 times faster (measured on 23 tables)."""
    import models.all_tables  # noqa: F401

    children_first = [t.name for t in reversed(Base.metadata.sorted_tables)]
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=10)
    try:
        sequences = await conn.fetch("SELECT schemaname, sequencename FROM pg_sequences")
        script = [f'DELETE FROM "{name}"' for name in children_first]
        script += [f'ALTER SEQUENCE "{r[0]}"."{r[1]}" RESTART' for r in sequences]
        async with conn.transaction():
            await conn.execute(";\n".join(script))
    finally:
        await conn.close()
