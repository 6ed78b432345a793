"""The real Application on the in-process fake Telegram, with a fake clock.

Used by the bot tests and by the demo: the same factory, services, scheduler steps and outbox
as production; only Telegram and time are simulated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bot.app import BuildOptions, build_application, startup, tick_once
from bot.ratelimit import FakePacing
from bot.roles import Role
from bot.settings import DEFAULT_ORG, load_settings
from faketg import FakeRequest, FakeTelegram
from models.orgfile import FloodSpec
from services.clock import FakeClock
from services.flood import FloodGate
from services.runtime import Runtime

FAKE_TOKEN = "123456789:AAFakeTokenForTheSimulatedTelegram0"
# For scripts that fill whole report forms in one frozen minute: no person types 30 answers a
# minute, a script does; strangers and the whistle cap keep the org file's defaults.
FAST_HANDS = FloodSpec(updates_per_minute=1000)


class Simulation:
    """Owns one FakeTelegram and one FakeClock; builds (and rebuilds) the Application."""

    def __init__(
        self,
        *,
        database_url: str,
        clock: FakeClock,
        tg: FakeTelegram | None = None,
        admins: Iterable[int] = (1001,),
        org_path: Path = DEFAULT_ORG,
        migrate: bool = False,
        pacing: FakePacing | None = None,
        flood: FloodSpec | None = None,
    ) -> None:
        self.database_url = database_url
        self.clock = clock
        # Messages carry the simulated time, so transcripts read as the simulated month.
        self.tg = tg or FakeTelegram(wall_clock=lambda: clock.now().timestamp())
        self.admins = tuple(admins)
        self.org_path = org_path
        self.migrate = migrate
        # With a FakePacing, replies and deliveries are paced to Telegram's limits in virtual
        # time (as in production); without one, nothing is paced.
        self.pacing = pacing
        # Per-person budgets other than the org file's (services/flood.py): scripted people
        # act in frozen virtual time, faster than anyone could type (see FAST_HANDS).
        self.flood = flood
        self._app: Application | None = None

    @property
    def app(self) -> Application:
        assert self._app is not None, "call start() first"
        return self._app

    @property
    def rt(self) -> Runtime:
        runtime = self.app.bot_data.runtime
        assert runtime is not None
        return runtime

    async def start(self) -> Application:
        """Build the Application exactly as production does, then run its start-up."""
        app = await self.build()
        self.tg.attach(app)
        self._app = app
        return app

    async def build(self, role: Role = Role.RUN) -> Application:
        """One more Application on the same database and fake Telegram (started, not attached):
        what a second process would be."""
        settings = load_settings(
            telegram_bot_token=FAKE_TOKEN,
            database_url=self.database_url,
            firegrid_org=self.org_path,
            firegrid_admins=",".join(str(a) for a in self.admins),
            firegrid_tick_seconds=1,
        )
        app = build_application(
            settings,
            BuildOptions(
                request=FakeRequest(self.tg),
                updates_request=FakeRequest(self.tg),
                clock=self.clock,
                rate_limiter=self.pacing is not None,
                pacing=self.pacing,
                scheduler=False,
                migrate=self.migrate,
                role=role,
            ),
        )
        if self.flood is not None:
            app.bot_data.flood = FloodGate(self.flood)
        await app.initialize()
        await startup(app)
        return app

    async def stop(self) -> None:
        """Shut the Application down (as a process exit would); the database stays."""
        if self._app is not None:
            await self._app.shutdown()
            await self._app.post_shutdown(self._app)  # type: ignore[misc]
            self._app = None

    async def restart(self) -> Application:
        """Throw the Application away and build a new one on the same database."""
        await self.stop()
        return await self.start()

    async def deliver_concurrently(self) -> None:
        """Hand every update waiting for getUpdates to the Application as polling would:
        each as a task through the update processor (bot/lanes.py), in the order Telegram
        queued them; returns when all are handled. Actors act without waiting while the fake
        Telegram is detached (`tg.detach()`), so a test can queue a flood first."""
        app = self.app
        updates = self.tg.pending_updates()
        self.tg.drop_pending_updates()
        tasks = []
        for raw in updates:
            update = Update.de_json(raw, app.bot)
            work = app.update_processor.process_update(update, app.process_update(update))
            tasks.append(asyncio.create_task(work))
        await asyncio.gather(*tasks)

    async def tick(self) -> None:
        """One scheduler tick at the current fake time: due work, then delivery."""
        await tick_once(self.app)

    async def advance(self, delta: timedelta, *, step: timedelta = timedelta(minutes=1)) -> None:
        """Move the clock forward in steps, ticking after each (never sleeps)."""
        end = self.clock.now() + delta
        while self.clock.now() < end:
            self.clock.set(min(self.clock.now() + step, end))
            await self.tick()

    async def run_until(self, when: datetime, *, step: timedelta = timedelta(minutes=1)) -> None:
        await self.advance(when - self.clock.now(), step=step)
