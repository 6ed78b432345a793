"""Serving bot/web's app with uvicorn beside the bot: always in webhook mode, best effort with polling.

In webhook mode the HTTP server is the bot's only way in, so an address that cannot be bound
is a configuration error (one line, exit 2). With polling it only adds /healthz, /readyz and
/metrics: an address already taken is logged once and the bot polls on without them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import uvicorn
from telegram import Update
from telegram.ext import Application

from bot.settings import ConfigError, Settings, Webhook
from bot.web.app import create_web_app

log = logging.getLogger("firegrid.web")


async def register_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], webhook: Webhook
) -> None:
    """Tell Telegram where to post updates; it sends the secret back in every call."""
    await app.bot.set_webhook(
        url=webhook.url,
        secret_token=webhook.secret,
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
    )
    log.info("webhook set: Telegram posts updates to %s", webhook.url)


@dataclass
class HttpServer:
    """A running uvicorn server and its task; `close()` lets requests in flight finish."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    address: tuple[str, int]

    async def close(self) -> None:
        self.server.should_exit = True
        with suppress(asyncio.CancelledError):
            await self.task


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def start_http(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    webhook: Webhook | None,
    stop: asyncio.Event,
) -> HttpServer | None:
    """Bind FIREGRID_LISTEN and serve; when the server ends (a signal), `stop` is set too."""
    host, port = settings.listen
    try:
        sock = _bind(host, port)
    except OSError as exc:
        problem = f"FIREGRID_LISTEN {settings.firegrid_listen}: cannot listen ({exc.strerror})"
        if webhook is not None:
            raise ConfigError(
                f"{problem}; choose a free address (another firegrid may use this one)"
            ) from None
        log.warning("%s; polling goes on without /healthz, /readyz and /metrics", problem)
        return None
    config = uvicorn.Config(
        create_web_app(app, webhook=webhook, tick_seconds=settings.firegrid_tick_seconds),
        log_config=None,  # our handlers (text or JSON, redacted) format uvicorn's lines too
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            sock.close()
            stop.set()

    address = sock.getsockname()[:2]
    task = asyncio.create_task(serve(), name="firegrid-http")
    routes = "webhook, /healthz, /readyz and /metrics" if webhook else "/healthz, /readyz, /metrics"
    log.info("serving %s on %s:%d", routes, address[0], address[1])
    return HttpServer(server, task, (str(address[0]), int(address[1])))
