"""Flood control per person (issue 11 §1): strangers, busy members, albums, the whistle cap.

Judged at the door (handlers/flood.py) with the org file's `flood:` numbers and the fake clock.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.settings import DEFAULT_ORG
from models.cases import Case
from services.clock import FakeClock
from services.flood import TOO_FAST
from sim.office import ADMIN, last_text
from sim.simulation import Simulation
from tests.cases.botoffice import GRID, open_office


def org_with(tmp_path: Path, flood: str) -> Path:
    """The example org file (and its forms beside it) with a `flood:` block."""
    shutil.copy(DEFAULT_ORG.parent / "forms.example.yaml", tmp_path / "forms.example.yaml")
    path = tmp_path / "org.yaml"
    text = DEFAULT_ORG.read_text(encoding="utf-8")
    text = text[: text.index("\nflood:")]  # the example's own block is the last one
    path.write_text(text + f"\nflood:\n{flood}\n", "utf-8")
    return path


async def test_a_stranger_gets_one_polite_answer_per_five_minutes(
    sqlite_url: str, clock: FakeClock
):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    group = tg.create_group("某工作群")
    await coord.send(group, "/bind housing")
    stranger = tg.user(6001, "路人")
    before = tg.count_messages(from_bot=True)
    for _ in range(20):
        await stranger.send(stranger.id, "你好")
    for _ in range(8):
        await stranger.send(group, "/open")
    bot_texts = [m.text for m in tg.bot_messages(stranger.id)]
    assert len(bot_texts) == 1 and "尚未登记" in bot_texts[0]
    # one answer per person per window, wherever they write: the group heard nothing
    assert tg.count_messages(from_bot=True) == before + 1
    sim.clock.advance(timedelta(minutes=5, seconds=1))
    await stranger.send(group, "/open")
    assert "尚未登记" in last_text(sim, group)
    await sim.stop()


async def test_an_invited_stranger_gets_in_at_once(sqlite_url: str, clock: FakeClock):
    sim = Simulation(database_url=sqlite_url, clock=clock)
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    stranger = tg.user(6002, "新人")
    await stranger.send(stranger.id, "你好")
    await stranger.send(stranger.id, "在吗")  # ignored
    await coord.send(ADMIN, "/invite 成员 housing")
    code = last_text(sim, ADMIN).split("start=")[1].split()[0]
    await stranger.send(stranger.id, f"/start {code}")
    assert "登记成功" in last_text(sim, stranger.id)
    await stranger.send(stranger.id, "/whoami")
    assert "住建办" in last_text(sim, stranger.id)
    await sim.stop()


async def test_a_member_beyond_the_minute_is_told_once(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
):
    org = org_with(tmp_path, "  updates_per_minute: 5")
    sim = Simulation(database_url=sqlite_url, clock=clock, org_path=org)
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    for _ in range(9):
        await coord.send(ADMIN, "/help")
    texts = [m.text for m in tg.bot_messages(ADMIN)]
    assert len(texts) == 6 and texts[-1] == TOO_FAST
    sim.clock.advance(timedelta(minutes=1))
    await coord.send(ADMIN, "/help")
    assert "/invite" in last_text(sim, ADMIN)
    await sim.stop()


async def test_an_album_counts_as_one(sqlite_url: str, clock: FakeClock, tmp_path: Path):
    org = org_with(tmp_path, "  updates_per_minute: 5")
    sim = Simulation(database_url=sqlite_url, clock=clock, org_path=org)
    await sim.start()
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    for _ in range(4):
        await coord.send(ADMIN, "/help")
    tg.detach()
    for _ in range(3):
        await coord.send_photo(ADMIN)
    album = tg.pending_updates()
    tg.drop_pending_updates()
    tg.attach(sim.app)
    for update in album:
        update["message"]["media_group_id"] = "album-1"
        await tg.deliver(update)
    await coord.send(ADMIN, "/help")  # the album was the 5th: this is the 6th, told once
    assert last_text(sim, ADMIN) == TOO_FAST
    await sim.stop()


async def test_whistles_per_grid_worker_are_capped_and_coordinators_told_once(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
):
    org = org_with(tmp_path, "  whistles_per_hour: 2")
    sim = Simulation(database_url=sqlite_url, clock=clock, org_path=org)
    office = await open_office(sim)
    tg = sim.tg
    for category in ("私拉乱接电线", "易燃杂物堆放"):
        assert "案件编号" in await office.whistle(category, photos=0, urgent=False)
        sim.clock.advance(timedelta(minutes=5))
    await office.grid.send(GRID, "吹哨")
    refusal = "您在1小时内已上报2条隐患，已达上限（每小时2条）"
    assert refusal in last_text(sim, GRID)
    await office.grid.send(GRID, "/whistle")
    assert refusal in last_text(sim, GRID)
    await sim.tick()
    notices = [m.text for m in tg.bot_messages(ADMIN) if m.text.startswith("【吹哨限流】")]
    assert notices == [
        "【吹哨限流】网格员李某在1小时内已上报2条隐患，达到每小时2条的上限，"
        "其后的上报暂未受理。如属实情，请与其联系。"
    ]
    async with sim.rt.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Case)) == 2
    # across a restart (counted from the database), and free again once the hour has passed
    await sim.restart()
    await office.grid.send(GRID, "吹哨")
    assert refusal in last_text(sim, GRID)
    sim.clock.advance(timedelta(minutes=55))
    assert "案件编号" in await office.whistle("违规用火用气", photos=0, urgent=False)
    await sim.stop()
