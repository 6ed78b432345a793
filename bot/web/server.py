"""Webhook mode: setWebhook with the secret, then uvicorn serves bot/web's app until stopped."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from telegram import Update
from telegram.ext import Application

from bot.settings import Settings, Webhook
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


async def serve_webhook(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    webhook: Webhook,
    stop: asyncio.Event,
) -> None:
    """Register the webhook, start handling the queue, serve HTTP until `stop` or a signal."""
    await register_webhook(app, webhook)
    await app.start()
    host, port = settings.listen
    config = uvicorn.Config(
        create_web_app(app, webhook=webhook, tick_seconds=settings.firegrid_tick_seconds),
        host=host,
        port=port,
        log_config=None,  # our handlers (text or JSON, redacted) format uvicorn's lines too
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    async def stop_when_asked() -> None:
        await stop.wait()
        server.should_exit = True

    watcher = asyncio.create_task(stop_when_asked())
    log.info("serving webhook, /healthz, /readyz and /metrics on %s:%d", host, port)
    try:
        await server.serve()
    finally:
        watcher.cancel()
