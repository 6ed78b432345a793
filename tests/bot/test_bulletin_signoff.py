"""签发: the month-end 通报 goes to the coordinators as a draft and is issued once, numbered."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from docx import Document
from sqlalchemy import select

from bot.settings import DEFAULT_ORG
from models.bulletin_runs import BulletinRun, DocumentCounter
from tests.bot.test_bulletin_delivery import ADMIN, FILES, bot_messages, sh, start

OTHER = 1002


def org_with(tmp_path: Path, *lines: str) -> Path:
    """The example org file with extra `bulletin:` settings."""
    text = DEFAULT_ORG.read_text(encoding="utf-8")
    head, block = text.split("\nbulletin:", 1)
    for line in lines:
        key = line.split(":", 1)[0]
        # The example file sets most keys already: replace its line (comment and all).
        block, found = re.subn(rf"(?m)^  {key}:.*$", f"  {line}", block, count=1)
        if not found:
            block = f"\n  {line}" + block
    org = tmp_path / "org.yaml"
    org.write_text(head + "\nbulletin:" + block, encoding="utf-8")
    (tmp_path / "forms.example.yaml").write_text(
        (DEFAULT_ORG.parent / "forms.example.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return org


def paragraphs(sim, message) -> list[str]:
    doc = Document(io.BytesIO(sim.tg.document_bytes(message)))
    return [p.text for p in doc.paragraphs]


def number_of(sim, message) -> str:
    doc = Document(io.BytesIO(sim.tg.document_bytes(message)))
    return next(p.text for p in doc.paragraphs if p.style.name == "公文发文字号")


def about_bulletin(sim, chat_id: int) -> list:
    return [m for m in bot_messages(sim, chat_id) if m.document is not None or "通报" in m.text]


def documents(sim, chat_id: int) -> list:
    return [m for m in bot_messages(sim, chat_id) if m.document is not None]


async def run_row(sim) -> BulletinRun:
    async with sim.rt.transaction() as s:
        (run,) = (await s.scalars(select(BulletinRun))).all()
        s.expunge(run)
        return run


async def add_coordinator(sim, user_id: int):
    coord = sim.tg.actor(ADMIN)
    await coord.send(ADMIN, "/invite 协调员")
    link = bot_messages(sim, ADMIN)[-1].text
    token = link.split("start=")[-1].split()[0]
    other = sim.tg.user(user_id, "李", "协调", started=True)
    await other.send(user_id, f"/start {token}")
    return other


async def test_draft_requirements_and_sign_off_exactly_once(sqlite_url):
    sim = await start(sqlite_url, sh(12, 31, 15, 50))
    coord = sim.tg.actor(ADMIN)
    await sim.run_until(sh(12, 31, 16, 0))
    draft = bot_messages(sim, ADMIN)[-5:]
    assert draft[0].text.startswith("2026年12月消防网格化工作通报")
    assert [m.document.file_name for m in draft[1:4]] == FILES
    assert draft[1].text == "通报（Word）（送审稿）"
    assert number_of(sim, draft[1]) == "千管三级办〔2026〕\u3000\u3000号"  # no number yet
    control = draft[4]
    assert control.text.startswith("以上为2026年12月通报送审稿（未编号）。请审核：")
    # The next workday at 12:00 (2027 is not in the calendar yet: Monday to Friday).
    assert "请于1月1日（周五） 12:00前签发；逾期未签发将按未签发稿发送（不编号）。" in control.text
    assert control.button_labels == ["签发", "修改意见", "补充工作要求"]
    assert (await run_row(sim)).status == "draft"

    # 补充工作要求: typed once, the draft comes again as 第2稿 with the paragraph in it.
    await coord.press(ADMIN, "补充工作要求")
    assert bot_messages(sim, ADMIN)[-1].text.startswith("请输入下步工作要求")
    await coord.send(ADMIN, "各部门要对照本通报逐项整改，1月10日前报送整改情况。")
    assert bot_messages(sim, ADMIN)[-1].text == (
        "已收到，谢谢。已写入工作要求并重新生成送审稿（第2稿），请在新稿下方签发。"
    )
    await sim.tick()
    second = bot_messages(sim, ADMIN)[-5:]
    texts = paragraphs(sim, second[1])
    assert texts[texts.index("八、下步工作要求") + 1] == (
        "各部门要对照本通报逐项整改，1月10日前报送整改情况。"
    )
    assert second[4].text.startswith("以上为2026年12月通报第2稿（未编号）")

    # The first draft's 签发 is refused: it is not what the office now says.
    answer = await coord.press(ADMIN, "签发", message_id=control.message_id)
    assert answer.show_alert and answer.text == "这不是最新的送审稿，请在最新送审稿下点击“签发”。"
    assert (await run_row(sim)).status == "draft"

    sim.clock.set(sh(12, 31, 17, 0))
    answer = await coord.press(ADMIN, "签发", message_id=second[4].message_id)
    assert answer.text == "已签发：千管三级办〔2026〕1号"
    await sim.tick()
    issued = bot_messages(sim, ADMIN)[-5:]
    assert [m.document.file_name for m in issued[1:4]] == FILES
    assert number_of(sim, issued[1]) == "千管三级办〔2026〕1号"
    assert "八、下步工作要求" in paragraphs(sim, issued[1])
    assert issued[4].text == (
        "2026年12月通报已由王 协调签发（千管三级办〔2026〕1号），已发送至各协调员。"
    )
    run = await run_row(sim)
    assert (run.status, run.number_year, run.number, run.signed_by) == ("signed", 2026, 1, ADMIN)

    # A second press, a restart, the deadline passing: nothing more is issued or numbered.
    again = await coord.press(ADMIN, "签发", message_id=second[4].message_id)
    assert again.text == "2026年12月通报已签发（千管三级办〔2026〕1号），无需再次操作。"
    count = len(about_bulletin(sim, ADMIN))
    await sim.restart()
    await sim.run_until(sh(1, 5, 9, year=2027), step=timedelta(hours=6))
    assert len(about_bulletin(sim, ADMIN)) == count
    async with sim.rt.transaction() as s:
        assert (await s.get(DocumentCounter, 2026)).last == 1
    sim.tg.check()
    await sim.stop()


async def test_unsigned_by_the_deadline_is_sent_unnumbered(sqlite_url, tmp_path):
    org = org_with(tmp_path, "audience: [leaders]")
    sim = await start(sqlite_url, sh(12, 31, 15, 0), org_path=org)
    coord = sim.tg.actor(ADMIN)
    leaders = sim.tg.create_group("领导小组")
    await coord.send(leaders, "/bind leading_group")
    await sim.run_until(sh(12, 31, 16, 0), step=timedelta(minutes=30))
    assert documents(sim, leaders) == []  # the draft is the coordinators' alone
    # Down over the deadline (the next workday 12:00): acted on after the restart.
    await sim.stop()
    sim.clock.set(sh(1, 4, 13, year=2027))
    await sim.start()
    await sim.tick()
    await sim.tick()
    sent = documents(sim, leaders)
    assert [m.document.file_name for m in sent] == FILES
    assert sent[0].text == "通报（Word）（未经签发）"
    assert number_of(sim, sent[0]) == "千管三级办〔2027〕\u3000\u3000号"
    assert bot_messages(sim, ADMIN)[-1].text == (
        "2026年12月通报未在1月1日（周五） 12:00前签发，已按未签发稿（未编号）发送至各协调员、领导小组。"
    )
    assert (await run_row(sim)).status == "released"
    answer = await coord.press(ADMIN, "签发")
    assert answer.text == "2026年12月通报已按未签发稿发送，无法再签发。"
    await sim.stop()


async def test_remind_again_then_sign_and_comment(sqlite_url, tmp_path):
    org = org_with(tmp_path, "unsigned: remind", "audience: [departments]")
    sim = await start(sqlite_url, sh(12, 31, 15, 50), org_path=org)
    coord = sim.tg.actor(ADMIN)
    housing = sim.tg.create_group("住建办工作群")
    await coord.send(housing, "/bind housing")
    other = await add_coordinator(sim, OTHER)
    await sim.run_until(sh(12, 31, 16, 0))
    assert bot_messages(sim, OTHER)[-1].button_labels == ["签发", "修改意见", "补充工作要求"]

    # 修改意见 goes to every coordinator; the draft stays.
    await other.press(OTHER, "修改意见")
    await other.send(OTHER, "请核实住建办升级次数。")
    assert bot_messages(sim, OTHER)[-1].text == "已收到，谢谢。修改意见已转送各协调员。"
    await sim.tick()
    assert bot_messages(sim, ADMIN)[-1].text == (
        "【通报修改意见】李 协调对2026年12月通报送审稿提出：\n请核实住建办升级次数。"
    )

    await sim.run_until(sh(1, 1, 12, 1, year=2027), step=timedelta(hours=3))
    reminder = about_bulletin(sim, ADMIN)[-1]
    assert reminder.text == "【提醒】2026年12月通报送审稿尚未签发，请于1月4日（周一） 12:00前签发。"
    assert (await run_row(sim)).status == "draft"
    await sim.run_until(sh(1, 2, 18, 0, year=2027), step=timedelta(hours=2))
    assert about_bulletin(sim, ADMIN)[-1].message_id == reminder.message_id  # once per deadline

    # 签发 from the reminder's button: numbered in the year it is issued.
    answer = await other.press(OTHER, "签发")
    assert answer.text == "已签发：千管三级办〔2027〕1号"
    await sim.tick()
    to_housing = [m for m in bot_messages(sim, housing)][-2:]
    assert to_housing[0].text.startswith("2026年12月消防网格化工作通报")
    assert to_housing[1].document.file_name == "通报-2026-12.docx"
    assert number_of(sim, to_housing[1]) == "千管三级办〔2027〕1号"
    late = await coord.press(ADMIN, "签发")
    assert late.text == "2026年12月通报已签发（千管三级办〔2027〕1号），无需再次操作。"
    await sim.stop()


async def test_only_coordinators_sign(sqlite_url):
    sim = await start(sqlite_url, sh(12, 31, 15, 59))
    await sim.run_until(sh(12, 31, 16, 0))
    control = bot_messages(sim, ADMIN)[-1]
    member = sim.tg.user(5001, "赵", "某", started=True)
    coord = sim.tg.actor(ADMIN)
    await coord.send(ADMIN, "/invite 成员 housing")
    token = bot_messages(sim, ADMIN)[-1].text.split("start=")[-1].split()[0]
    await member.send(5001, f"/start {token}")
    # A forged press of the same data in the member's own chat.
    data = control.buttons[0][0].value
    await member.send(5001, "你好")
    mine = bot_messages(sim, 5001)[-1]
    answer = await member.press_data(5001, mine.message_id, data)
    assert answer.show_alert and answer.text == "通报签发仅限协调员操作。"
    assert (await run_row(sim)).status == "draft"
    await sim.stop()
