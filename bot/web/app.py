"""The ASGI application: routes only; each one is a few lines over the Application it serves."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram.ext import Application

from bot.metrics import CONTENT_TYPE, metrics_of
from bot.settings import Webhook
from bot.web.health import healthz, readyz_route
from bot.web.webhook import webhook_route
from services.runtime import Runtime


def runtime_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    rt = app.bot_data.runtime
    assert isinstance(rt, Runtime)
    return rt


def create_web_app(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    webhook: Webhook | None,
    tick_seconds: float,
) -> Starlette:
    """Routes: POST /telegram/<path> (only with a webhook), GET /healthz, /readyz, /metrics."""
    rt = runtime_of(app)
    metrics = metrics_of(app)

    async def metrics_route(_: Request) -> Response:
        return Response(await metrics.scrape(rt), media_type=CONTENT_TYPE)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz_route(rt, tick_seconds), methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
    if webhook is not None:
        routes.append(Route("/telegram/{path}", webhook_route(app, webhook), methods=["POST"]))
    return Starlette(routes=routes)
