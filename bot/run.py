"""`firegrid run`: load settings, build the application, poll."""

from __future__ import annotations

import logging
import sys

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.app import build_application
from bot.dbcheck import check_database
from bot.lock import AlreadyRunning, lock_database
from bot.logsetup import configure_logging, redact
from bot.settings import load_settings


def run() -> int:
    settings = load_settings()
    token = settings.require_token()
    # A database that cannot be opened or written stops here in one line (ConfigError, exit 2),
    # not in a traceback from inside polling.
    check_database(settings.database_url)
    configure_logging(token)
    try:
        lock = lock_database(settings.database_url)
    except AlreadyRunning as exc:
        print(f"firegrid: {exc}", file=sys.stderr)
        return 3
    try:
        app = build_application(settings)
        logging.getLogger("firegrid").info("polling %s", settings.telegram_api_base_url)
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
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
            f"({redact(str(exc))}); check TELEGRAM_API_BASE_URL and the network, then start again.",
            file=sys.stderr,
        )
        return 4
    finally:
        if lock is not None:
            lock.release()
    return 0
