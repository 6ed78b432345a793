"""The two SQL spellings the services share: which database this is, and INSERT … ON CONFLICT.

SQLite and PostgreSQL both speak `ON CONFLICT`, but SQLAlchemy builds it from each dialect's own
`insert`; this module picks the right one from the session, so callers write it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Insert = postgresql.Insert | sqlite.Insert


def dialect_name(session: AsyncSession) -> str:
    """`postgresql` or `sqlite` (an unbound session is taken for SQLite)."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def conflict_insert(session: AsyncSession, model: Any) -> Insert:
    """`insert(model)` in the session's dialect, so `.on_conflict_do_…` can follow."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def insert_ignore(
    session: AsyncSession,
    model: Any,
    values: Mapping[str, Any],
    conflict: Sequence[str],
    *,
    returning: Any = None,
) -> int | None:
    """INSERT … ON CONFLICT (conflict) DO NOTHING; the new row's `returning` column (its id
    unless named), or None when the row already existed."""
    column = model.id if returning is None else returning
    stmt = (
        conflict_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(column)
    )
    new = (await session.execute(stmt)).scalar_one_or_none()
    return None if new is None else int(new)
