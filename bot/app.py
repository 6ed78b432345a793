"""The composition root: build the PTB Application with every service, handler and job."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from types import ModuleType

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, ContextTypes
from telegram.request import BaseRequest

import handlers.bulletin
import handlers.cases
import handlers.digest
import handlers.flood
import handlers.groups
import handlers.onboarding
import handlers.outbox
import handlers.reminders
import handlers.reports
import handlers.router
import handlers.updates
import handlers.whistle
from bot.db import is_sqlite, make_engine, make_sessions, upgrade
from bot.delivery import Courier
from bot.lanes import LaneProcessor
from bot.metrics import MeteredApplication, Metrics, metrics_of
from bot.presence import Presence
from bot.ratelimit import OutboundLimiter, Pacing, SharedRateLimiter, SystemPacing
from bot.roles import Role
from bot.settings import Settings
from bot.sharedbudget import SharedBudget
from bot.watchdog import Watchdog
from handlers.context import BotData, ChatData, CustomContext
from handlers.errors import on_error
from handlers.menus import publish_menus
from scheduler import jobs
from services.bulletin.config import check_bulletin_against_forms, check_bulletin_template
from services.clock import Clock, SystemClock
from services.flood import FloodGate
from services.forms.config import load_org_forms
from services.instances import one_start_at_a_time
from services.org_sync import ensure_admins, sync_org
from services.orgconfig import load_org
from services.outbox import coordinator_chat_ids
from services.runtime import Runtime
from services.workdays import WorkdayCalendar

log = logging.getLogger("firegrid")

# Feature modules: each has COMMANDS and register(app). Order matters only for /help.
FEATURES: list[ModuleType] = [
    handlers.flood,  # per-person budgets, judged before anything else (no DB once known)
    handlers.updates,  # edits and redelivered updates stop before any feature sees them
    handlers.onboarding,
    handlers.groups,
    handlers.whistle,
    handlers.cases,
    handlers.reminders,
    handlers.reports,
    handlers.digest,
    handlers.bulletin,
    handlers.outbox,
    handlers.router,
]


@dataclass(frozen=True)
class Infra:
    """What only the composition root touches: the engine and how the schema is handled."""

    engine: AsyncEngine
    database_url: str
    migrate: bool
    courier: Courier
    background_delivery: bool
    tick_seconds: float
    watchdog: Watchdog
    role: Role = Role.RUN
    # PostgreSQL: this process in the `instances` table (None on SQLite: one process).
    presence: Presence | None = None
    # Kept for the process's life, so a step that fails every tick is logged once (and minutely).
    tick_logs: jobs.TickLogs = field(default_factory=jobs.TickLogs)


def infra_of(app: Application) -> Infra:
    infra = app.bot_data.infra
    assert isinstance(infra, Infra)
    return infra


@dataclass
class BuildOptions:
    """What tests and the demo change; production uses the defaults."""

    request: BaseRequest | None = None
    updates_request: BaseRequest | None = None
    clock: Clock | None = None
    rate_limiter: bool = True
    scheduler: bool = True
    migrate: bool = True
    pacing: Pacing | None = None  # how rate limiting reads time and waits (tests: FakePacing)
    role: Role = Role.RUN  # what this process does (bot/roles.py)
    shared_budget: bool = True  # on PostgreSQL (tests switch it off to show what it prevents)


def build_application(settings: Settings, options: BuildOptions | None = None) -> Application:
    """The one factory used by production, tests and the demo."""
    opts = options or BuildOptions()
    token = settings.require_token()
    org = load_org(settings.firegrid_org)
    engine = make_engine(settings.database_url)
    runtime = Runtime(
        sessions=make_sessions(engine),
        org=org,
        clock=opts.clock or SystemClock(),
        tz=settings.tz,
        admin_ids=settings.admin_ids,
        invite_ttl=timedelta(days=settings.firegrid_invite_days),
        org_dir=str(settings.firegrid_org.resolve().parent),
        calendar=WorkdayCalendar.build(org.calendar),
        forms=load_org_forms(org, settings.firegrid_org),
    )
    check_bulletin_against_forms(org, runtime.forms, str(settings.firegrid_org))
    check_bulletin_template(org, runtime.org_dir, str(settings.firegrid_org))
    builder = (
        Application.builder()
        .application_class(MeteredApplication)
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .context_types(ContextTypes(context=CustomContext, bot_data=BotData, chat_data=ChatData))
        .post_init(startup)
        .post_stop(stopping)
        .post_shutdown(shutdown)
    )
    if opts.request is not None:
        builder = builder.request(opts.request)
        builder = builder.get_updates_request(opts.updates_request or opts.request)
    pacing = opts.pacing or SystemPacing()
    # One limiter for the outbox and for direct replies (which wait in PTB's rate limiter slot).
    limiter = OutboundLimiter(clock=pacing.monotonic) if opts.rate_limiter else None
    shared = not is_sqlite(settings.database_url)
    # On PostgreSQL other processes may send with the same token: the budget is the token's.
    budget = (
        SharedBudget(
            engine,
            pacing,
            # The database's clock, unless the test moves a virtual one.
            clock=None if isinstance(pacing, SystemPacing) else pacing.monotonic,
        )
        if shared and opts.shared_budget and limiter is not None
        else None
    )
    watchdog = Watchdog(clock=pacing.monotonic)
    # Updates run concurrently, in order per (chat, person): one person's paced replies or a
    # flood hold up only that person's lane (bot/lanes.py).
    lanes = LaneProcessor(watchdog=watchdog)
    builder = builder.concurrent_updates(lanes)
    if limiter is not None:
        builder = builder.rate_limiter(
            SharedRateLimiter(limiter, pacing, shared=budget)  # type: ignore[arg-type]
        )
    app = builder.build()
    metrics = Metrics()
    app.metrics = metrics  # type: ignore[attr-defined]
    data: BotData = app.bot_data
    data.flood = FloodGate(org.flood)
    lanes.screen = lambda update: handlers.flood.settled(update, data)
    data.runtime = runtime
    # Another process may have handled an update this one has not seen: ask the database.
    data.handled_updates.shared = shared
    courier = Courier(
        app.bot,
        runtime,
        limiter=limiter,
        pacing=pacing,
        metrics=metrics,
        budget=budget,
        watchdog=watchdog,
    )
    data.infra = Infra(
        engine=engine,
        database_url=settings.database_url,
        migrate=opts.migrate,
        courier=courier,
        background_delivery=opts.scheduler and opts.role.delivers,
        tick_seconds=settings.firegrid_tick_seconds,
        role=opts.role,
        presence=Presence(
            runtime,
            name=courier.worker,
            role=opts.role.value,
            timeout=timedelta(seconds=settings.firegrid_instance_timeout),
            courier=opts.role.delivers,
            budget=budget,
        )
        if shared and opts.scheduler
        else None,
        watchdog=watchdog,
    )
    for feature in FEATURES:
        data.commands.extend(feature.COMMANDS)
        feature.register(app)
    handlers.router.register_fallbacks(app)
    app.add_error_handler(on_error)
    if opts.scheduler and opts.role.ticks:
        jobs.install(
            app,
            every=settings.firegrid_tick_seconds,
            after=deliver,
            logs=infra_of(app).tick_logs,
            observe=metrics.tick_step,
        )
    return app


async def deliver(app: Application) -> None:
    """Send what the outbox holds (after the tick's steps have committed their rows).

    With the background courier running this only wakes it, so a long broadcast never holds up
    the next tick; tests and the demo (no background) deliver right here.
    """
    courier = infra_of(app).courier
    if not courier.wake():
        await courier.deliver_due()


async def tick_once(app: Application) -> None:
    """One tick by hand (tests and the demo drive time themselves)."""
    rt = app.bot_data.runtime
    assert rt is not None
    await jobs.run_steps(
        rt, rt.now(), logs=infra_of(app).tick_logs, observe=metrics_of(app).tick_step
    )
    await deliver(app)


async def startup(app: Application) -> None:
    """Runs before polling (and explicitly in tests): schema, org sync, admins, menus."""
    data: BotData = app.bot_data
    rt = data.runtime
    assert rt is not None
    infra = infra_of(app)
    if infra.migrate:
        await upgrade(infra.database_url)
    # SQLite runs one process (bot/lock.py): whatever it left `sending` died with it.
    await infra.courier.recover(exclusive=is_sqlite(infra.database_url))
    now = rt.now()
    async with rt.transaction() as session:
        await one_start_at_a_time(session)
        report = await sync_org(session, rt.org, now)
        await ensure_admins(session, rt.org, rt.admin_ids, now)
        coordinators = await coordinator_chat_ids(session)
    me = await app.bot.get_me()
    rt.bot_username = me.username or rt.bot_username
    await publish_menus(app.bot, data.commands, coordinators)
    log.info(
        "started as @%s: %d departments, %d areas (sync: +%d, renamed %d, inactive %d)",
        rt.bot_username,
        len(rt.org.departments),
        len(rt.org.areas),
        report.added,
        report.renamed,
        report.deactivated,
    )
    if infra.presence is not None:
        # Registered before the first claim, so no other process takes this one for dead.
        await infra.presence.beat_once()
        infra.presence.start()
    if infra.background_delivery:
        infra.courier.start(every=min(1.0, infra.tick_seconds))
        infra.watchdog.start()


async def stopping(app: Application) -> None:
    """Before the bot's connections close: let the message in flight finish, stop delivering."""
    infra = infra_of(app)
    await infra.watchdog.stop()
    await infra.courier.stop()
    if infra.presence is not None:
        await infra.presence.stop()


async def shutdown(app: Application) -> None:
    await infra_of(app).engine.dispose()
