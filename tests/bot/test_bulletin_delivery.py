"""The month-end bulletin reaches every coordinator once, on time, across restarts; /digest."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.settings import DEFAULT_ORG
from models.bulletin_runs import BulletinRun, BulletinRunStatus
from services.clock import FakeClock
from sim.simulation import Simulation

ADMIN = 1001
SH = ZoneInfo("Asia/Shanghai")
FILES = ["通报-2026-12.docx", "通报-2026-12-台账.xlsx", "通报-2026-12-统计图.png"]


def sh(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def bot_messages(sim: Simulation, chat_id: int):
    return [m for m in sim.tg.chat_view(chat_id) if m.from_bot]


def bulletin_messages(sim: Simulation, chat_id: int):
    return [
        m
        for m in bot_messages(sim, chat_id)
        if "消防网格化工作通报" in m.text or m.document is not None or "通报原定于" in m.text
    ]


async def runs(sim: Simulation) -> list[tuple[str, BulletinRunStatus, int]]:
    async with sim.rt.transaction() as s:
        rows = await s.execute(
            select(BulletinRun.period, BulletinRun.status, BulletinRun.recipients)
        )
        return [tuple(r) for r in rows]


async def start(sqlite_url: str, at: datetime, org_path: Path = DEFAULT_ORG) -> Simulation:
    sim = Simulation(
        database_url=sqlite_url, clock=FakeClock(at), admins=(ADMIN,), org_path=org_path
    )
    await sim.start()
    sim.tg.user(ADMIN, "王", "协调", started=True)
    return sim


async def test_sent_once_at_1600_on_the_last_workday_and_not_again_after_restart(sqlite_url):
    # 2026-12-31 is a Thursday and the last workday of December.
    sim = await start(sqlite_url, sh(12, 31, 15, 50))
    await sim.advance(timedelta(minutes=9))
    assert bulletin_messages(sim, ADMIN) == []
    await sim.run_until(sh(12, 31, 16, 0))
    sent = bulletin_messages(sim, ADMIN)
    assert sent[0].text.startswith("2026年12月消防网格化工作通报")
    assert "本通报数据截至12月31日 16:00。" in sent[0].text
    assert [m.document.file_name for m in sent[1:]] == FILES
    docx = Document(io.BytesIO(sim.tg.document_bytes(sent[1])))
    title = next(p for p in docx.paragraphs if p.style.name == "公文标题")
    assert title.text.replace("\n", "") == "关于2026年12月消防网格化工作情况的通报"
    assert load_workbook(io.BytesIO(sim.tg.document_bytes(sent[2]))).sheetnames[0] == "汇总"
    assert sim.tg.document_bytes(sent[3]).startswith(b"\x89PNG")
    assert await runs(sim) == [("2026-12", BulletinRunStatus.DRAFT, 1)]

    # A restart the same day, and more ticks: nothing more goes out.
    await sim.restart()
    await sim.advance(timedelta(minutes=30), step=timedelta(minutes=5))
    assert len(bulletin_messages(sim, ADMIN)) == 4
    assert await runs(sim) == [("2026-12", BulletinRunStatus.DRAFT, 1)]
    await sim.stop()


async def test_not_before_the_last_workday(sqlite_url):
    # 2026-10-30 (Friday) is October's last workday; the 31st is a Saturday.
    sim = await start(sqlite_url, sh(10, 29, 15, 0))
    await sim.run_until(sh(10, 30, 15, 59), step=timedelta(hours=1))
    assert bulletin_messages(sim, ADMIN) == []
    await sim.run_until(sh(10, 30, 16, 1))
    assert bulletin_messages(sim, ADMIN)[0].text.startswith("2026年10月消防网格化工作通报")
    await sim.run_until(sh(10, 31, 16, 1), step=timedelta(hours=1))
    assert len(bulletin_messages(sim, ADMIN)) == 4
    await sim.stop()


async def test_down_at_1600_sent_once_on_restart(sqlite_url):
    sim = await start(sqlite_url, sh(12, 30, 9))
    await sim.tick()
    await sim.stop()
    sim.clock.set(sh(12, 31, 18, 30))  # down from the 30th to 18:30 on the 31st
    await sim.start()
    await sim.tick()
    await sim.tick()
    sent = bulletin_messages(sim, ADMIN)
    assert [m.document.file_name for m in sent[1:]] == FILES
    assert await runs(sim) == [("2026-12", BulletinRunStatus.DRAFT, 1)]
    await sim.stop()


async def test_missed_beyond_catch_up_is_recorded_and_told_once(sqlite_url):
    sim = await start(sqlite_url, sh(12, 30, 9))
    await sim.stop()
    sim.clock.set(sh(1, 5, 9, year=2027))  # more than 72 hours after 12-31 16:00
    await sim.start()
    await sim.tick()
    await sim.tick()
    told = bulletin_messages(sim, ADMIN)
    assert [m.text for m in told] == [
        "2026年12月通报原定于12月31日 16:00自动发送，因系统停机未能按时发送，"
        "现已超过补发时限。如需查看，请发送 /digest 2026-12。"
    ]
    assert await runs(sim) == [("2026-12", BulletinRunStatus.MISSED, 0)]
    await sim.stop()


async def test_leading_group_receives_it_when_configured(sqlite_url, tmp_path):
    text = DEFAULT_ORG.read_text(encoding="utf-8")
    org = tmp_path / "org.yaml"
    org.write_text(
        # Without sign-off the numbered 通报 goes out at once, to the leading group too.
        text.replace("include_leading_group: false", "include_leading_group: true").replace(
            "sign_off: true", "sign_off: false"
        ),
        encoding="utf-8",
    )
    (tmp_path / "forms.example.yaml").write_text(
        (DEFAULT_ORG.parent / "forms.example.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    sim = await start(sqlite_url, sh(12, 31, 15, 0), org_path=org)
    coord = sim.tg.actor(ADMIN)
    leaders = sim.tg.create_group("领导小组")
    await coord.send(leaders, "/bind leading_group")
    await sim.run_until(sh(12, 31, 16, 0), step=timedelta(minutes=30))
    in_group = bulletin_messages(sim, leaders)
    assert [m.document.file_name for m in in_group[1:]] == FILES
    assert len(bulletin_messages(sim, ADMIN)) == 4
    assert await runs(sim) == [("2026-12", "sent", 2)]  # the coordinator and the group
    docx = Document(io.BytesIO(sim.tg.document_bytes(in_group[1])))
    number = next(p for p in docx.paragraphs if p.style.name == "公文发文字号")
    assert number.text == "千管三级办〔2026〕1号"
    await sim.stop()


async def test_digest_on_demand(sqlite_url):
    sim = await start(sqlite_url, sh(12, 15, 10))
    coord = sim.tg.actor(ADMIN)
    await coord.send(ADMIN, "/digest 2026-12")
    sent = bot_messages(sim, ADMIN)
    assert sent[-4].text.startswith("2026年12月消防网格化工作通报")
    assert [m.document.file_name for m in sent[-3:]] == FILES
    # Nothing was queued: on demand is not the scheduled occurrence.
    assert await runs(sim) == []

    await coord.send(ADMIN, "/digest")
    assert bot_messages(sim, ADMIN)[-3].document.file_name == "通报-2026-12.docx"
    await coord.send(ADMIN, "/digest 2026-13")
    assert bot_messages(sim, ADMIN)[-1].text.startswith("月份格式不正确")
    await coord.send(ADMIN, "/digest 2027-01")
    assert (
        bot_messages(sim, ADMIN)[-1].text == "2027年1月尚未开始，暂无通报。可查看本月或以前的月份。"
    )
    await coord.send(ADMIN, "/digest 2019-05")
    old = bot_messages(sim, ADMIN)[-4]
    assert "本月早于系统启用，无业务记录。" in old.text

    stranger = sim.tg.user(4242, "路", "人")
    before = len(bot_messages(sim, 4242))
    await stranger.send(4242, "/digest")
    answer = bot_messages(sim, 4242)[before:]
    assert len(answer) == 1 and "尚未登记" in answer[0].text
    sim.tg.check()
    await sim.stop()


async def test_digest_of_a_month_before_the_bot_states_no_figures_and_points_to_this_month(
    sqlite_url: str, clock: FakeClock
):
    """Before the first record there are no facts: no 本月无吹哨隐患 or 建议约谈：无 as if checked."""
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/digest 2026-10")
    summary = next(m.text for m in sim.tg.chat_view(ADMIN) if m.from_bot and m.document is None)
    await sim.stop()

    assert summary.splitlines()[:2] == [
        "2026年10月消防网格化工作通报",
        "本月早于系统启用，无业务记录。",
    ]
    for claim in ("隐患：", "月报：", "建议约谈："):
        assert claim not in summary
    assert "/digest 本月" in summary
