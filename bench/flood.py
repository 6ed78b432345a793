"""Benchmark: one stranger floods the bot; does anyone else wait?

A stranger sends 200 × "你好" in a private chat and 40 × /open in a bound group. Meanwhile a
department member asks /help and a grid worker submits a whistle (提交). Prints the member's
/help latency under the flood against its unloaded latency (their ratio), and the time until
the whistle's dispatch card is in every department group, against one tick plus pacing.

Two runs, on one office set up through the real commands (sim/office.py):
- live: the production Application polls the fake Bot API over HTTP on 127.0.0.1 (real time,
  Telegram's limits enforced, the scheduler ticking every --tick seconds, the background
  courier delivering);
- virtual: the same Application on the in-process fake, paced by FakePacing in virtual time,
  updates handed to the update processor as polling would (tests/bot/test_flood_latency.py is
  the reduced version kept in the suite).

    .venv/bin/python -m bench.flood                 # both
    .venv/bin/python -m bench.flood --virtual-only
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.app import BuildOptions, build_application, shutdown, startup, stopping
from bot.db import upgrade_sync
from bot.ratelimit import FakePacing
from bot.settings import load_settings
from faketg import FakeTelegram, serve
from faketg.limits import RateLimits
from handlers.guards import NOT_REGISTERED
from services.clock import FakeClock
from sim.office import ADMIN, set_up, walk_whistle
from sim.simulation import FAKE_TOKEN, Simulation

GROUPS = {
    "police_station_qianshan": "千山派出所工作群",
    "housing": "住建办工作群",
    "community_qianshan": "千山社区工作群",
}
PEOPLE = {
    3001: ("李某", "网格员", "梨花苑小区"),
    4002: ("赵某", "成员", "housing"),
}
GRID, MEMBER, STRANGER = 3001, 4002, 6100
CARD = "消防隐患 QS-"
HELP_MARK = "/whoami"  # a line of /help's answer


async def prepare(sim: Simulation) -> dict[str, int]:
    """Bind the groups, register the people, walk a whistle to its last step (提交 pending)."""
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    chats, actors = await set_up(sim, coord, GROUPS, PEOPLE)
    await walk_whistle(
        actors[GRID],
        category="消防通道堵塞",
        area="梨花苑小区",
        location=None,
        address="3号楼东侧",
        photos=0,
        description="消防通道被货车堵塞。",
        urgent=True,
        submit=False,
    )
    return chats


def flood(tg: FakeTelegram, group: int, private: int, in_group: int) -> list[tuple[int, str]]:
    return [(STRANGER, "你好")] * private + [(group, "/open")] * in_group


def stranger_answers(tg: FakeTelegram, group: int) -> int:
    """The stranger's answers wherever they went: the flood gate gives one person one answer
    per window, to whichever of their lanes (the private chat or the group) came first."""
    private = len(tg.bot_messages(STRANGER))
    in_group = sum(NOT_REGISTERED in m.text for m in tg.bot_messages(group))
    return private + in_group


def has_card(tg: FakeTelegram, chats: dict[str, int]) -> bool:
    return all(any(CARD in m.text for m in tg.bot_messages(c)) for c in chats.values())


# -- live, over HTTP ----------------------------------------------------------------------------


async def live(database_url: str, *, private: int, in_group: int, tick: float) -> dict[str, float]:
    clock = FakeClock(datetime.now(UTC))
    tg = FakeTelegram()
    sim = Simulation(database_url=database_url, clock=clock, tg=tg)
    chats = await prepare(sim)
    await sim.stop()
    tg.detach()
    tg.limits = RateLimits(clock=time.monotonic)  # Telegram's limits from here on
    stranger = tg.user(STRANGER, "路人")
    member, grid = tg.actor(MEMBER), tg.actor(GRID)
    server = serve(tg)
    settings = load_settings(
        telegram_bot_token=FAKE_TOKEN,
        database_url=database_url,
        telegram_api_base_url=server.base_url,
        firegrid_admins=str(ADMIN),
        firegrid_tick_seconds=tick,
    )
    app = build_application(settings, BuildOptions(migrate=False))
    await app.initialize()
    await startup(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)

    async def ask_help() -> float:
        before = len(tg.bot_messages(MEMBER))
        started = time.monotonic()
        await member.send(MEMBER, "/help")
        await tg.wait_until(lambda: len(tg.bot_messages(MEMBER)) > before, 600)
        return time.monotonic() - started

    try:
        unloaded = []
        for _ in range(3):
            unloaded.append(await ask_help())
            await asyncio.sleep(1.2)  # the member's own chat is paced 1 per 1.1 s
        for chat_id, text in flood(tg, chats["housing"], private, in_group):
            await stranger.send(chat_id, text)
        submitted = time.monotonic()
        press = asyncio.create_task(grid.press(GRID, "提交"))
        loaded = await ask_help()
        await press
        await tg.wait_until(lambda: has_card(tg, chats), 600)
        reach = time.monotonic() - submitted
    finally:
        await app.updater.stop()
        await app.stop()
        await stopping(app)
        await app.shutdown()
        await shutdown(app)
        server.stop()
    base = statistics.median(unloaded)
    return {
        "help_unloaded_s": base,
        "help_loaded_s": loaded,
        "ratio": loaded / base,
        "whistle_reach_s": reach,
        "tick_s": tick,
        "stranger_answers": float(stranger_answers(tg, chats["housing"])),
        "rejected_429": float(tg.limits.rejected),
    }


async def bare_live(*, private: int, in_group: int) -> dict[str, float]:
    """The floor any python-telegram-bot bot stands on: a bare PTB Application polling the same
    fake Bot API (same limits), answering the member's /help and ignoring the stranger without
    a word. Its latency under the flood is what getUpdates and PTB's de_json of the queued
    updates cost before the /help is reached; FireGrid cannot be faster than that."""
    from telegram import Update
    from telegram.ext import Application, CommandHandler, ContextTypes

    tg = FakeTelegram()
    group = tg.create_group("住建办工作群", supergroup=True)
    tg.limits = RateLimits(clock=time.monotonic)
    stranger, member = tg.user(STRANGER, "路人"), tg.user(MEMBER, "赵某")
    await member.send(MEMBER, "/start")
    server = serve(tg)

    async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if update.effective_message is not None and user is not None and user.id == MEMBER:
            await update.effective_message.reply_text(f"帮助 {HELP_MARK}")

    app = Application.builder().token(FAKE_TOKEN).base_url(server.base_url).build()
    app.add_handler(CommandHandler("help", on_help))

    async def ask_help() -> float:
        before = len(tg.bot_messages(MEMBER))
        started = time.monotonic()
        await member.send(MEMBER, "/help")
        await tg.wait_until(lambda: len(tg.bot_messages(MEMBER)) > before, 600)
        return time.monotonic() - started

    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        unloaded = []
        for _ in range(3):
            unloaded.append(await ask_help())
            await asyncio.sleep(1.2)
        for chat_id, text in flood(tg, group, private, in_group):
            await stranger.send(chat_id, text)
        loaded = await ask_help()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        server.stop()
    return {"help_unloaded_s": statistics.median(unloaded), "help_loaded_s": loaded}


# -- virtual time, in process -------------------------------------------------------------------


async def virtual(database_url: str, *, private: int, in_group: int) -> dict[str, float]:
    clock = FakeClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    pacing = FakePacing(wall=clock, budget=24 * 3600)
    sim = Simulation(database_url=database_url, clock=clock, pacing=pacing)
    chats = await prepare(sim)
    tg = sim.tg
    stranger = tg.user(STRANGER, "路人")

    async def help_latency(queued: list[tuple[int, str]]) -> float:
        tg.detach()
        for chat_id, text in queued:
            await stranger.send(chat_id, text)
        await tg.actor(MEMBER).send(MEMBER, "/help")
        tg.attach(sim.app)
        start = clock.now()
        await sim.deliver_concurrently()
        answered = [m.sent_at for m in tg.bot_messages(MEMBER) if HELP_MARK in m.text][-1]
        return (answered - start).total_seconds()

    unloaded = await help_latency([])
    clock.advance(seconds=2)  # as the live run waits: the member's own chat is paced 1 per 1.1 s
    pacing_before = pacing.slept
    submitted = asyncio.create_task(tg.actor(GRID).press(GRID, "提交"))
    loaded = await help_latency(flood(tg, chats["housing"], private, in_group))
    await submitted
    before_tick = clock.now()
    await sim.tick()
    reach_ticks = 1 if has_card(tg, chats) else 0
    tick_pacing = (clock.now() - before_tick).total_seconds()
    flood_pacing = pacing.slept - pacing_before
    await sim.stop()
    return {
        "help_unloaded_s": unloaded,
        "help_loaded_s": loaded,
        "whistle_ticks": float(reach_ticks),
        "whistle_pacing_s": tick_pacing,
        "flood_pacing_s": flood_pacing,
        "stranger_answers": float(stranger_answers(tg, chats["housing"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--private", type=int, default=200)
    parser.add_argument("--group", type=int, default=40)
    parser.add_argument("--tick", type=float, default=5.0, help="scheduler tick of the live run")
    parser.add_argument("--virtual-only", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'virtual.db'}"
        upgrade_sync(url)
        v = asyncio.run(virtual(url, private=args.private, in_group=args.group))
        print(
            f"virtual: /help {v['help_loaded_s']:.2f} s under the flood vs "
            f"{v['help_unloaded_s']:.2f} s unloaded; whistle in every group after "
            f"{v['whistle_ticks']:.0f} tick + {v['whistle_pacing_s']:.2f} s pacing; "
            f"stranger answered {v['stranger_answers']:.0f}× (private chat and group together) "
            f"(pacing spent during the flood: {v['flood_pacing_s']:.1f} s)"
        )
        if args.virtual_only:
            return
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'live.db'}"
        upgrade_sync(url)
        r = asyncio.run(live(url, private=args.private, in_group=args.group, tick=args.tick))
        b = asyncio.run(bare_live(private=args.private, in_group=args.group))
        print(
            f"live over HTTP: /help {r['help_loaded_s']:.2f} s under the flood vs "
            f"{r['help_unloaded_s']:.2f} s unloaded (ratio {r['ratio']:.2f}); whistle in every "
            f"group {r['whistle_reach_s']:.2f} s after 提交 (tick {r['tick_s']:.0f} s); "
            f"stranger answered {r['stranger_answers']:.0f}×; 429s: {r['rejected_429']:.0f}"
        )
        print(
            f"bare python-telegram-bot on the same flood: /help {b['help_loaded_s']:.2f} s vs "
            f"{b['help_unloaded_s']:.2f} s unloaded; FireGrid under the flood / bare PTB under "
            f"the flood: {r['help_loaded_s'] / b['help_loaded_s']:.2f}×"
        )


if __name__ == "__main__":
    main()
