"""The real Application on the fake Telegram, not attached: updates arrive by webhook or polling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from telegram.ext import Application

from bot.app import BuildOptions, build_application, shutdown, startup
from bot.settings import Settings, load_settings
from bot.web import create_web_app
from faketg import FakeRequest, FakeTelegram
from services.clock import FakeClock
from sim.simulation import FAKE_TOKEN

SECRET = "s3cret-" + "x" * 32
HOOK_URL = "https://bot.example.org/telegram/firegrid-hook"


def settings_for(database_url: str, **extra: Any) -> Settings:
    return load_settings(
        telegram_bot_token=FAKE_TOKEN,
        database_url=database_url,
        firegrid_admins="1001",
        firegrid_tick_seconds=30,
        **{"firegrid_listen": "127.0.0.1:0", **extra},
    )


def build(tg: FakeTelegram, settings: Settings, clock: FakeClock) -> Application:
    return build_application(
        settings,
        BuildOptions(
            request=FakeRequest(tg),
            updates_request=FakeRequest(tg),
            clock=clock,
            rate_limiter=False,
            scheduler=False,
            migrate=False,
        ),
    )


@dataclass
class Web:
    tg: FakeTelegram
    app: Application
    client: httpx.AsyncClient
    clock: FakeClock


@pytest.fixture
async def web(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Web]:
    """The ASGI app over the started Application, driven in-process through httpx."""
    tg = FakeTelegram(wall_clock=lambda: clock.now().timestamp())
    settings = settings_for(
        sqlite_url, firegrid_webhook_url=HOOK_URL, firegrid_webhook_secret=SECRET
    )
    app = build(tg, settings, clock)
    await app.initialize()
    await startup(app)
    await app.start()  # handles what the webhook puts on update_queue
    asgi = create_web_app(app, webhook=settings.webhook(), tick_seconds=30)
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://firegrid") as client:
        yield Web(tg, app, client, clock)
    await app.stop()
    await app.shutdown()
    await shutdown(app)
    tg.check()
