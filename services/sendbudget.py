"""The bot token's send budget, shared by every process through the database.

Telegram counts ~30 messages a second overall, 20 a minute per group and one a second per
private chat against the *token*, whichever process sends. Each limit is a leaky bucket row in
`send_buckets` (key 0: overall; otherwise the chat id). Taking a message locks the rows it
needs (overall first, then the chat: always in key order, so two processes never deadlock),
leaks them to `now`, and either adds the message to both or, when one would overflow, changes
nothing and says how long to wait. One statement per message in autocommit: one round trip,
the rows locked for microseconds; about 30 a second in total however many processes send.

`now` is seconds on the budget's clock. None reads the database server's clock, so processes
on several machines agree on time without trusting each other's clocks; tests pass their
virtual clock instead. PostgreSQL only (SQLite is one process: bot/ratelimit.py is enough).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.instances import SendBucket

OVERALL = 0  # the bucket key of the token's overall limit (no chat has id 0)
# A wait of a few nanoseconds is float rounding, not a limit.
EPSILON = 1e-6


@dataclass(frozen=True)
class Limit:
    """A leaky bucket's shape: holds `capacity` messages, drains `rate` per second."""

    capacity: float
    rate: float


def leaked(level: float, at: float, rate: float, now: float) -> float:
    """The bucket's level at `now` (it drained `rate` per second since `at`)."""
    return max(0.0, level - max(0.0, now - at) * rate)


def wait_for(level: float, limit: Limit, count: float) -> float:
    """Seconds until `count` more messages fit a bucket at `level` (0: they fit now); a weight
    above the capacity fits once the bucket is empty."""
    excess = level + min(count, limit.capacity) - limit.capacity
    return excess / limit.rate if excess > EPSILON else 0.0


# One statement, so the rows are locked for microseconds, not for several round trips: lock
# the named buckets in key order (no deadlock between processes), leak each to `t` (never
# before its own `at`, so a clock read before a lock wait cannot move a bucket backwards), and
# add `count` to all of them only when every one has room (a weight above a bucket's capacity
# has room once it is empty, and is then charged in full, as in bot/ratelimit.py). Returns how many buckets exist, the
# wait, and how many were taken.
RESERVE = text(
    """
WITH want AS (
    SELECT * FROM unnest(
        CAST(:keys AS bigint[]), CAST(:capacities AS float8[]), CAST(:rates AS float8[])
    ) AS w(key, capacity, rate)
),
cur AS (
    SELECT b.key, b.level, b.at, w.capacity, w.rate,
           greatest(b.at, coalesce(
               CAST(:now AS float8), CAST(extract(epoch FROM clock_timestamp()) AS float8)
           )) AS t
    FROM send_buckets AS b JOIN want AS w ON w.key = b.key
    ORDER BY b.key
    FOR UPDATE OF b
),
lv AS (
    SELECT key, t, capacity, rate, greatest(0.0, level - (t - at) * rate) AS lvl FROM cur
),
verdict AS (
    SELECT count(*) AS found,
           coalesce(max((lvl + least(CAST(:count AS float8), capacity) - capacity) / rate), 0.0) AS wait
    FROM lv
),
taken AS (
    UPDATE send_buckets AS b SET level = lv.lvl + :count, at = lv.t
    FROM lv, verdict
    WHERE b.key = lv.key AND verdict.found = :n AND verdict.wait <= :epsilon
    RETURNING b.key
)
SELECT verdict.found, verdict.wait, (SELECT count(*) FROM taken) FROM verdict
"""
)


async def reserve(
    conn: AsyncConnection, buckets: dict[int, Limit], count: float, now: float | None
) -> float:
    """Take `count` messages from every bucket named, all or none (PostgreSQL): returns 0 when
    taken, else the seconds until they would fit. Run it in autocommit: one round trip."""
    keys = sorted(buckets)
    params = {
        "keys": keys,
        "capacities": [buckets[k].capacity for k in keys],
        "rates": [buckets[k].rate for k in keys],
        "now": now,
        "count": count,
        "n": len(keys),
        "epsilon": EPSILON,
    }
    for _ in range(3):
        found, wait, taken = (await conn.execute(RESERVE, params)).one()
        if found == len(keys):
            return 0.0 if taken else max(float(wait), EPSILON)
        # A chat's first message (or the first after its bucket was pruned): create, retry.
        # Created empty as of now, so `prune` (idle buckets) leaves it alone.
        at = now if now is not None else await database_clock(conn)
        await conn.execute(
            insert(SendBucket)
            .values([{"key": key, "level": 0.0, "at": at} for key in keys])
            .on_conflict_do_nothing(index_elements=["key"])
        )
    raise RuntimeError("send_buckets: the buckets of this message could not be created")


async def database_clock(conn: AsyncConnection) -> float:
    """The database server's clock in seconds (clock_timestamp: not the transaction's start)."""
    value = await conn.scalar(select(func.extract("epoch", func.clock_timestamp())))
    return float(value or 0.0)


async def waits(
    conn: AsyncConnection, chats: dict[int, Limit], now: float | None, count: float = 1
) -> dict[int, float]:
    """How long each chat's own bucket makes it wait for `count` messages; takes nothing."""
    if not chats:
        return {}
    if now is None:
        now = await database_clock(conn)
    rows = await conn.execute(
        select(SendBucket.key, SendBucket.level, SendBucket.at).where(
            SendBucket.key.in_(list(chats))
        )
    )
    found = {
        key: wait_for(leaked(level, at, chats[key].rate, now), chats[key], count)
        for key, level, at in rows
    }
    return {chat: found.get(chat, 0.0) for chat in chats}


async def prune(conn: AsyncConnection, now: float | None, idle: float = 300.0) -> int:
    """Forget chat buckets untouched for `idle` seconds (long since drained)."""
    if now is None:
        now = await database_clock(conn)
    result = await conn.execute(
        delete(SendBucket).where(SendBucket.key != OVERALL, SendBucket.at < now - idle)
    )
    return int(getattr(result, "rowcount", 0) or 0)
