"""POST /telegram/<path>: check Telegram's secret header, queue the update, answer at once."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import Update
from telegram.ext import Application

from bot.settings import Webhook

log = logging.getLogger("firegrid.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(
    app: Application[Any, Any, Any, Any, Any, Any], webhook: Webhook
) -> Callable[[Request], Awaitable[Response]]:
    """The route handler: 404 for another path, 403 without the secret, 400 for a non-update.

    Handling happens on the Application's own queue (as with polling), so Telegram gets its 200
    before any database work and never retries an update because a handler was slow.
    """
    expected = webhook.secret.encode()

    async def receive(request: Request) -> Response:
        if request.path_params.get("path") != webhook.path:
            return PlainTextResponse("not found\n", status_code=404)
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook call without the right secret header from %s", _client(request))
            return PlainTextResponse("forbidden\n", status_code=403)
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return PlainTextResponse("not a Telegram update\n", status_code=400)
        await app.update_queue.put(update)
        return Response(status_code=200)

    return receive


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "?"
