"""Who fills a report and for which month: not a grid worker, not a month that has not begun;
and each report action writes in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection

from models.reports import ReportSubmission
from sim.office import ADMIN, invite, last_text
from sim.simulation import FAST_HANDS, Simulation
from tests.bot.reports.helpers import bind, clock_at, member

FILLERS = "月报由千山社区的成员或负责人填报；网格员负责吹哨上报和核查。"


async def office(sqlite_url: str) -> Simulation:
    sim = Simulation(
        database_url=sqlite_url, clock=clock_at(2026, 11, 16), admins=(ADMIN,), flood=FAST_HANDS
    )
    sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    return sim


async def rows(sim: Simulation) -> list[tuple[str, str]]:
    async with sim.rt.transaction() as s:
        found = await s.execute(select(ReportSubmission.form_key, ReportSubmission.period))
        return [tuple(r) for r in found]  # type: ignore[misc]


async def test_a_grid_worker_is_told_who_fills_the_report(sqlite_url):
    sim = await office(sqlite_url)
    coord = sim.tg.actor(ADMIN)
    grid = await invite(sim, coord, 3001, "李网格", "梨花苑小区", role="网格员")
    group = await bind(sim, "千山社区工作群", "community_qianshan")
    me = grid.id

    await grid.send(me, "/report community_duties")
    assert last_text(sim, me) == FILLERS
    # The menu shows where the department's reports stand, with nothing to open.
    await grid.send(me, "/report")
    menu = sim.tg.last_message(me)
    assert menu.text.startswith("千山社区需填报的月度报表：\n· 2026年11月《社区工作制度履行情况》")
    assert menu.text.endswith(FILLERS) and not menu.buttons
    # 填写报表 under a reminder in the department's group, and the same data forged in private.
    answer = await grid.press_data(
        group, sim.tg.last_message(group).message_id, "rp:o:community_duties:2026-11"
    )
    assert answer is not None and answer.text == FILLERS and answer.show_alert
    answer = await grid.press_data(me, menu.message_id, "rp:o:community_duties:2026-11")
    assert answer is not None and answer.text == FILLERS
    assert await rows(sim) == []

    # A member's draft exists: the grid worker cannot act on it either.
    zhang = await member(sim, 2001, "张社区", "community_qianshan")
    await zhang.send(zhang.id, "/report community_duties")
    assert await rows(sim) == [("community_duties", "2026-11")]
    answer = await grid.press_data(me, menu.message_id, "rp:a:1:0:done")
    assert answer is not None and answer.text == FILLERS
    await sim.stop()


async def test_a_month_that_has_not_begun_cannot_be_opened(sqlite_url):
    sim = await office(sqlite_url)
    zhang = await member(sim, 2001, "张社区", "community_qianshan")
    me = zhang.id
    await zhang.send(me, "/report")
    menu = sim.tg.last_message(me)
    for month in ("2999-12", "2026-12"):
        answer = await zhang.press_data(me, menu.message_id, f"rp:o:community_duties:{month}")
        assert answer is not None and answer.show_alert
        assert answer.text.startswith(f"{month[:4]}年{int(month[5:])}月尚未开始，不能填报。")
    assert await rows(sim) == []
    # Last month is shown read-only (locked); this month opens.
    await zhang.press_data(me, menu.message_id, "rp:o:community_duties:2026-10")
    assert "已于2026年10月23日（周五）截止" in last_text(sim, me)
    await zhang.press_data(me, menu.message_id, "rp:o:community_duties:2026-11")
    assert "开始填写2026年11月《社区工作制度履行情况》" in last_text(sim, me)
    assert await rows(sim) == [("community_duties", "2026-11")]
    await sim.stop()


@contextmanager
def writing_transactions(sim: Simulation) -> Iterator[list[list[str]]]:
    """The statements of every transaction that wrote something, while the block runs."""
    engine = sim.rt.sessions.kw["bind"].sync_engine
    transactions: list[list[str]] = []

    def begin(conn: Connection) -> None:
        transactions.append([])

    def execute(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if transactions:
            transactions[-1].append(statement)

    event.listen(engine, "begin", begin)
    event.listen(engine, "before_cursor_execute", execute)
    written: list[list[str]] = []
    try:
        yield written
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "before_cursor_execute", execute)
    writes = ("INSERT", "UPDATE", "DELETE")

    def feature_writes(statements: list[str]) -> bool:
        # The record that an update was handled (handlers/updates.py, after every feature) is
        # bookkeeping of its own, not part of the report action.
        changed = [s for s in statements if s.lstrip().upper().startswith(writes)]
        return any("processed_updates" not in s for s in changed)

    written.extend(t for t in transactions if feature_writes(t))


async def test_each_report_action_writes_in_one_transaction(sqlite_url):
    sim = await office(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    actions = [
        lambda: li.send(me, "/report police_monthly"),  # the row, its event and the dialog
        lambda: li.press(me, "添加会议"),  # the draft and the dialog
        lambda: li.send(me, "11月3日"),
    ]
    for action in actions:
        with writing_transactions(sim) as written:
            await action()
        assert len(written) == 1, written
    async with sim.rt.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(ReportSubmission)) == 1
    await sim.stop()
