"""`firegrid run`: load settings, build the application, then poll or serve the webhook.

Polling (the default) deletes any webhook first (PTB's bootstrap calls deleteWebhook) and polls.
With FIREGRID_WEBHOOK_URL the bot calls setWebhook (secret, allowed_updates) instead. Either way
the ASGI app of bot/web is served with uvicorn on FIREGRID_LISTEN: /healthz, /readyz, /metrics,
and in webhook mode POST /telegram/<path> (bot/web/server.py says what happens when the address
is taken).

409 Conflict while polling means another process polls this token (Telegram ends one of two
concurrent getUpdates) or a webhook was set meanwhile: one log line, then exit 2. No retry here:
two pollers would take turns stealing updates from each other; the supervisor's restart
(systemd `RestartSec`) is the retry, and it logs the same line until the other one stops.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import suppress
from typing import Any

from sqlalchemy.engine import make_url
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.app import build_application, shutdown, startup, stopping
from bot.dbcheck import check_database
from bot.lock import AlreadyRunning, lock_database
from bot.logsetup import configure_logging, redact
from bot.settings import Settings, load_settings

log = logging.getLogger("firegrid")
CONFLICT_EXIT = 2


def run() -> int:
    settings = load_settings()
    token = settings.require_token()
    # A database that cannot be opened or written stops here in one line (ConfigError, exit 2),
    # not in a traceback from inside polling.
    check_database(settings.database_url)
    configure_logging(
        token,
        settings.log_level,
        json_lines=settings.firegrid_log_format == "json",
        secrets=secrets_of(settings),
    )
    try:
        lock = lock_database(settings.database_url)
    except AlreadyRunning as exc:
        print(f"firegrid: {exc}", file=sys.stderr)
        return 3
    try:
        app = build_application(settings)
        return asyncio.run(serve(app, settings))
    except InvalidToken:
        print(
            "firegrid: TELEGRAM_BOT_TOKEN was refused by the Bot API; copy the token again "
            "from @BotFather into .env.",
            file=sys.stderr,
        )
        return 2
    except NetworkError as exc:
        # Only reachable at start-up: once polling runs, PTB retries network errors itself.
        print(
            f"firegrid: cannot reach the Bot API at {settings.telegram_api_base_url} "
            f"({redact(str(exc))}); check TELEGRAM_API_BASE_URL, HTTPS_PROXY/ALL_PROXY and "
            "the network, then start again.",
            file=sys.stderr,
        )
        return 4
    finally:
        if lock is not None:
            lock.release()


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """What must never be logged besides the token: the database password, the webhook secret."""
    found = [make_url(settings.database_url).password or ""]
    if settings.firegrid_webhook_secret is not None:
        found.append(settings.firegrid_webhook_secret.get_secret_value())
    return tuple(s for s in found if s)


async def serve(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    stop: asyncio.Event | None = None,
) -> int:
    """Run until SIGINT/SIGTERM (or `stop`); the exit code (0, or 2 for a 409 Conflict).

    The same sequence as PTB's run_polling (initialize, post_init, start, …, post_shutdown),
    written out so webhook mode and the conflict policy share it and tests can drive it.
    """
    from bot.web.server import HttpServer, register_webhook, start_http

    stop = stop or asyncio.Event()
    _on_signals(stop)
    code = 0
    http: HttpServer | None = None
    await app.initialize()
    try:
        await startup(app)
        webhook = settings.webhook()
        if webhook is None:
            http = await start_http(app, settings, None, stop)
            code = await _poll(app, stop)
        else:
            await register_webhook(app, webhook)
            await app.start()
            http = await start_http(app, settings, webhook, stop)
            await stop.wait()
    finally:
        if http is not None:
            await http.close()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await stopping(app)
        await app.shutdown()
        await shutdown(app)
    return code


async def _poll(app: Application[Any, Any, Any, Any, Any, Any], stop: asyncio.Event) -> int:
    conflicts: list[str] = []

    def on_error(exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            if not conflicts:
                log.error(
                    "409 Conflict from Telegram: another process polls this token, or a webhook "
                    "is set (%s); stopping (exit 2) — run one poller per token, or webhook mode",
                    exc.message,
                )
            conflicts.append(exc.message)
            stop.set()
            return
        log.warning("getUpdates failed (%s: %s); retrying", type(exc).__name__, exc.message)

    assert app.updater is not None
    log.info("polling %s", app.bot.base_url.rsplit("/bot", 1)[0])
    await app.updater.start_polling(
        allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, error_callback=on_error
    )
    await app.start()
    await stop.wait()
    return CONFLICT_EXIT if conflicts else 0


def _on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers: Ctrl-C ends the process there as usual.
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
