"""One draft per kind with one active, the message guard, processed update ids (both databases)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from services.clock import FakeClock
from services.dialogs import (
    activate,
    clear_dialog,
    get_dialog,
    get_draft,
    note_message,
    parked_dialogs,
    set_dialog,
)
from services.updates import HandledUpdates, mark_processed, prune_processed, was_processed

ME = 501


async def test_a_second_kind_parks_the_first_and_nothing_is_lost(
    engine: AsyncEngine, clock: FakeClock
):
    sessions = make_sessions(engine)
    now = clock.now()
    async with sessions() as s, s.begin():
        await set_dialog(
            s, user_id=ME, chat_id=ME, kind="whistle", step="place", data={"a": 1}, now=now
        )
        await set_dialog(s, user_id=ME, chat_id=ME, kind="report", step="f", data={"b": 2}, now=now)
    async with sessions() as s, s.begin():
        active = await get_dialog(s, ME, ME)
        assert active is not None and active.kind == "report"
        parked = await parked_dialogs(s, ME, ME)
        assert [(d.kind, d.data) for d in parked] == [("whistle", {"a": 1})]
        # saving parked leaves the active one alone
        await set_dialog(
            s, user_id=ME, chat_id=ME, kind="case_reopen", step="r", data={}, now=now, active=False
        )
        assert (await get_dialog(s, ME, ME)).kind == "report"  # type: ignore[union-attr]
        back = await activate(s, ME, ME, "whistle", now)
        assert back is not None and back.data == {"a": 1}
        assert (await get_dialog(s, ME, ME)).kind == "whistle"  # type: ignore[union-attr]
        assert await activate(s, ME, ME, "nosuch", now) is None
        await clear_dialog(s, ME, ME, "whistle")
        assert await get_dialog(s, ME, ME) is None  # the others wait, none is active
        assert await get_draft(s, ME, ME, "report") is not None
        # another chat is another world
        assert await get_dialog(s, ME, -100) is None


async def test_the_newest_applied_message_only_grows(engine: AsyncEngine, clock: FakeClock):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        saved = await set_dialog(
            s,
            user_id=ME,
            chat_id=ME,
            kind="whistle",
            step="x",
            data={},
            now=clock.now(),
            message_id=10,
        )
        assert saved.already_applied(10) and saved.already_applied(9)
        assert not saved.already_applied(11)
        await note_message(s, ME, ME, "whistle", 8)  # an older message never lowers it
        await set_dialog(
            s, user_id=ME, chat_id=ME, kind="whistle", step="y", data={}, now=clock.now()
        )
        kept = await get_draft(s, ME, ME, "whistle")
        assert kept is not None and kept.last_message_id == 10
        await note_message(s, ME, ME, "whistle", 12)
        assert (await get_draft(s, ME, ME, "whistle")).last_message_id == 12  # type: ignore[union-attr]


async def test_processed_updates_are_recorded_once_and_pruned(
    engine: AsyncEngine, clock: FakeClock
):
    sessions = make_sessions(engine)
    now = clock.now()
    async with sessions() as s, s.begin():
        assert not await was_processed(s, 7)
        await mark_processed(s, 7, now)
        await mark_processed(s, 7, now)  # twice is harmless
        await mark_processed(s, 8, now + timedelta(days=1))
    async with sessions() as s, s.begin():
        assert await was_processed(s, 7) and await was_processed(s, 8)
        assert await prune_processed(s, now + timedelta(hours=1)) == 1
        assert not await was_processed(s, 7) and await was_processed(s, 8)


async def test_only_ids_from_before_the_start_are_looked_up(engine: AsyncEngine, clock: FakeClock):
    sessions = make_sessions(engine)
    now = clock.now()
    async with sessions() as s, s.begin():
        await mark_processed(s, 100, now)
        await mark_processed(s, 90, now - timedelta(days=5))  # older than KEEP: not a floor
    handled = HandledUpdates(limit=2)
    assert handled.known(101) is None  # nothing known before the first look-up
    async with sessions() as s, s.begin():
        assert await handled.seen(s, 100, now)  # handled before the restart
        assert not await handled.seen(s, 99, now)
        assert not await handled.seen(s, 101, now)
    assert handled.floor == 100 and handled.known(101) is False
    for update_id in (101, 102, 103):
        handled.handled(update_id)
    # over the limit: the floor moves up, those ids are the database's to answer again
    assert handled.floor == 103 and handled.recent == set()
    assert handled.known(103) is None and handled.known(104) is False
