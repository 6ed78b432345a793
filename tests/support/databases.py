"""Real test databases: a migrated SQLite template copied per test, and a PostgreSQL database
created once per run (truncated between tests). PostgreSQL tests skip, with the reason, when
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
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import make_engine, upgrade_sync
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
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return None, f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_sync(url)
    return url, ""


def pg_drop(url: str) -> None:
    name = make_url(url).database
    _in_thread(lambda: asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def pg_truncate(url: str) -> None:
    """Empty every table (keeps the schema) so each test starts clean."""
    import models.all_tables  # noqa: F401

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()
