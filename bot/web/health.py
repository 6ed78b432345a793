"""/healthz (the process answers) and /readyz (it can do its work: database, tick, outbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from services.ops import readiness
from services.runtime import Runtime


async def healthz(_: Request) -> Response:
    """Liveness: answering at all is the answer (the HEALTHCHECK and systemd watch this)."""
    return PlainTextResponse("ok\n")


def readyz_route(rt: Runtime, tick_seconds: float) -> Callable[[Request], Awaitable[Response]]:
    """Readiness as JSON; 503 while the database does not answer or the tick is 3 ticks late.

    The oldest due outbox row's age is reported, not judged: a backlog (a broadcast, Telegram's
    limits) is not cured by taking the process out of service.
    """

    async def readyz(_: Request) -> Response:
        now = rt.now()
        state = await readiness(rt, now, tick_seconds)
        body = {
            "ready": state.ready,
            "database": state.database,
            "last_tick_at": state.last_tick_at.isoformat() if state.last_tick_at else None,
            "last_tick_age_seconds": _round(state.tick_age),
            "tick_seconds": tick_seconds,
            "oldest_due_outbox_age_seconds": _round(state.oldest_due_age),
            "reason": state.reason,
        }
        return JSONResponse(body, status_code=200 if state.ready else 503)

    return readyz


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
