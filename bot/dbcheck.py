"""Before the bot starts: can the database be opened and written? If not, one line, exit 2.

Without this, a read-only SQLite file or a PostgreSQL server that is down surfaced as a
traceback from deep inside start-up (exit 1), against the README's promise of one line.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import is_sqlite, sqlite_path
from bot.settings import ConfigError


def check_database(url: str, timeout: float = 10.0) -> None:
    """Before anything starts: the database can be opened and written, else one ConfigError line.

    SQLite: the folder exists (or can be made) and is writable, the file is writable (WAL and
    the lock file live beside it). PostgreSQL: the server answers and lets the user in.
    """
    if is_sqlite(url):
        _check_sqlite(url)
    else:
        loop = asyncio.new_event_loop()  # private: leaves no loop behind for run_polling
        try:
            loop.run_until_complete(_check_postgres(url, timeout))
        finally:
            loop.close()


def _check_sqlite(url: str) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    path = path.absolute()
    folder = path.parent
    elsewhere = (
        "point DATABASE_URL at a writable place (e.g. sqlite+aiosqlite:///./data/firegrid.db)"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(
            f"DATABASE_URL: {folder} is a file, not a folder, so the SQLite database {path} "
            f"cannot be made there; {elsewhere}."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"DATABASE_URL: the folder {folder} for the SQLite database cannot be created "
            f"({exc.strerror}); create it for the user running firegrid, or {elsewhere}."
        ) from None
    if path.is_dir():
        raise ConfigError(f"DATABASE_URL: {path} is a folder, not a SQLite file; {elsewhere}.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"DATABASE_URL: the folder {folder} is not writable (SQLite keeps its journal and "
            f"firegrid its lock file beside {path.name}); make it writable, or {elsewhere}."
        )
    try:
        connection = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            # WAL is what the engine sets on every connection. A read-only file is only noticed
            # on a real write (BEGIN alone passes), so write a table and roll it back.
            connection.execute("PRAGMA journal_mode=WAL").fetchall()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("CREATE TABLE firegrid_write_check (x INTEGER)")
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        detail = str(exc)
        if "readonly" in detail or "read-only" in detail:
            raise ConfigError(
                f"DATABASE_URL: the SQLite file {path} is read-only; make it writable for the "
                f"user running firegrid (chmod/chown), or {elsewhere}."
            ) from None
        if "locked" in detail:
            raise ConfigError(
                f"DATABASE_URL: the SQLite file {path} stayed locked by another process for "
                "10 s; stop the other program using it (another firegrid?) and start again."
            ) from None
        raise ConfigError(
            f"DATABASE_URL: the SQLite file {path} cannot be used ({detail}); "
            f"check the file, or {elsewhere}."
        ) from None


async def _check_postgres(url: str, connect_seconds: float) -> None:
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    engine = create_async_engine(url, connect_args={"timeout": connect_seconds})
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # every failure becomes the one line below
        line = _postgres_problem(parsed, where, _root_cause(exc))
        if parsed.password:
            line = line.replace(parsed.password, "***")  # a driver message might quote it
        raise ConfigError(line) from None
    finally:
        await engine.dispose()


def _root_cause(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrappers."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "orig", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def _postgres_problem(url: URL, where: str, cause: BaseException) -> str:
    """One line naming DATABASE_URL, host:port and the fix; never the password."""
    if isinstance(cause, socket.gaierror):
        return (
            f"DATABASE_URL: the PostgreSQL host '{url.host}' is unknown ({cause.strerror}); "
            "correct the host name."
        )
    if isinstance(cause, (OSError, TimeoutError, asyncpg.exceptions.CannotConnectNowError)):
        code = getattr(cause, "errno", None)
        reason = os.strerror(code) if code else _first_line(cause)
        return (
            f"DATABASE_URL: the PostgreSQL server at {where} did not answer ({reason}); "
            "start PostgreSQL or correct the host and port, then start firegrid again."
        )
    if isinstance(
        cause,
        (
            asyncpg.exceptions.InvalidPasswordError,
            asyncpg.exceptions.InvalidAuthorizationSpecificationError,
        ),
    ):
        return (
            f"DATABASE_URL: PostgreSQL at {where} refused user '{url.username}' "
            f"({_first_line(cause)}); correct the user name and password."
        )
    if isinstance(cause, asyncpg.exceptions.InvalidCatalogNameError):
        return (
            f"DATABASE_URL: PostgreSQL at {where} has no database '{url.database}'; "
            f"create it (createdb {url.database}) or correct the name."
        )
    return (
        f"DATABASE_URL: PostgreSQL at {where} cannot be used ({type(cause).__name__}: "
        f"{_first_line(cause)}); check the server and the URL."
    )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
