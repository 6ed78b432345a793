"""Case numbers readable aloud (QS-2026-0042): a per-year counter bumped in one statement.

`INSERT ... ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last` takes the row
lock on PostgreSQL, so concurrent submissions queue on it and each gets its own number; SQLite
serialises writers anyway. A failed submission rolls its bump back with it, so numbers stay
gap-free in the usual case.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import CaseNumberSeq
from services.sql import conflict_insert


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}-{year}-{seq:04d}"


async def next_case_number(session: AsyncSession, *, prefix: str, year: int) -> tuple[int, str]:
    """Take the next number of `year`; returns (sequence, formatted number)."""
    stmt = (
        conflict_insert(session, CaseNumberSeq)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": CaseNumberSeq.last + 1})
        .returning(CaseNumberSeq.last)
    )
    seq = int((await session.execute(stmt)).scalar_one())
    return seq, format_number(prefix, year, seq)
