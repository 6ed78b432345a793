"""The report conversation: refusals re-ask, 跳过 / 返回 / 修改, restart, two members, lock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.reports import ReportEvent, ReportEventKind, ReportSubmission
from services.clock import FakeClock
from sim.office import ADMIN, last_text
from sim.simulation import FAST_HANDS, Simulation
from tests.bot.reports.helpers import clock_at, last_buttons, member, shanghai
from tests.cases.botoffice import open_office

QUESTION_1 = "三级消防和网格化工作部署调度会议"


async def police_sim(sqlite_url: str) -> Simulation:
    sim = Simulation(
        database_url=sqlite_url, clock=clock_at(2026, 11, 16), admins=(ADMIN,), flood=FAST_HANDS
    )
    sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    return sim


async def count_rows(sim: Simulation) -> int:
    async with sim.rt.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(ReportSubmission)) or 0)


async def test_every_wrong_answer_gets_one_line_and_the_question_again(sqlite_url):
    sim = await police_sim(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await li.send(me, "/report")  # the bureau owes its form and the optional highlights
    await li.press(me, "公安分局消防工作情况（11月）")
    await li.press(me, "添加会议")

    await li.send(me, "2026-10-30")
    text = last_text(sim, me)
    assert text.startswith("❗日期须在2026年11月内。\n\n")
    assert "会议日期" in text and "第1条会议" in text
    await li.send(me, "11月20日")
    assert last_text(sim, me).startswith("❗日期不能晚于今天（2026年11月16日（周一））。")
    await li.send(me, "11月3日")

    await li.send(me, "很多人")
    assert last_text(sim, me).startswith("❗请输入整数（单位：人），例如 3。\n\n")
    assert "参会人数" in last_text(sim, me)
    await li.send(me, "-5")
    assert last_text(sim, me).startswith("❗不能为负数，请输入0或更大的整数（单位：人）。")
    await li.send(me, "2.5")
    assert last_text(sim, me).startswith("❗请输入整数，不要带小数点（单位：人）。")
    await li.send(me, "１８")
    await li.press(me, "否")

    await li.send(me, "部" * 201)
    assert last_text(sim, me).startswith("❗内容过长：最多200字，当前201字，请精简后重新发送。")
    assert "会议主要内容" in last_text(sim, me)
    await li.send(me, "  部署<冬季>防火 & 检查  ")
    assert "已填写1条会议" in last_text(sim, me)
    assert "（1）会议日期：2026年11月3日（周二）；参会人数：18人" in last_text(sim, me)
    assert "会议主要内容：部署<冬季>防火 & 检查" in last_text(sim, me)
    await sim.stop()


async def test_skip_back_keep_and_edit(sqlite_url):
    sim = await police_sim(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await li.send(me, "/report police_monthly")
    await li.press(me, "完成")  # no dispatch meeting this month
    assert "本月开展消防监督检查单位数" in last_text(sim, me)
    assert "跳过" not in last_buttons(sim, me)  # required: no 跳过
    await li.send(me, "12")
    await li.send(me, "3")
    await li.send(me, "5")
    assert "消防宣传形式（选填）" in last_text(sim, me)
    assert last_buttons(sim, me)[-2:] == ["返回", "跳过"]
    await li.press(me, "返回")
    text = last_text(sim, me)
    assert "本月开展消防宣传次数" in text and "当前答案：5次" in text
    assert "保持不变" in last_buttons(sim, me)
    await li.press(me, "保持不变")
    assert "消防宣传形式" in last_text(sim, me)
    await li.press(me, "跳过")
    assert "对社区、村（居）委会、物业企业的指导" in last_text(sim, me)
    await li.press(me, "添加指导")
    await li.press(me, "物业企业")
    await li.send(me, "翠峰物业")
    await li.send(me, "今天")
    await li.press(me, "完成")
    await li.send(me, "各项任务按计划推进。")
    review = last_text(sim, me)
    assert "1. 三级消防和网格化工作部署调度会议：无" in review
    assert "5. 消防宣传形式：（未填写）" in review
    assert (
        "（1）指导对象类别：物业企业；指导对象名称：翠峰物业；指导日期：2026年11月16日（周一）"
        in review
    )

    await li.press(me, "修改2")
    assert "当前答案：12家" in last_text(sim, me)
    await li.send(me, "15")
    review = last_text(sim, me)
    assert "请核对以上内容" in review and "2. 本月开展消防监督检查单位数：15家" in review

    await li.press(me, "修改6")
    assert "删除第1条" in last_buttons(sim, me)
    await li.press(me, "删除第1条")
    assert "尚未填写指导" in last_text(sim, me)
    await li.press(me, "完成")
    assert "6. 对社区、村（居）委会、物业企业的指导：无" in last_text(sim, me)

    # A button from an older message is recognised as stale and changes nothing.
    old = sim.tg.chat_view(me)[-1]
    await li.press(me, "修改3")
    answer = await li.press_data(me, old.message_id, old.button("修改4").value)
    assert answer is not None and answer.text == "该按钮已过期，已为您显示当前问题。"
    assert "检查发现隐患" in last_text(sim, me)
    await sim.stop()


async def test_restart_mid_form_resumes_and_says_so(sqlite_url):
    sim = await police_sim(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await li.send(me, "/report police_monthly")
    await li.press(me, "完成")
    await li.send(me, "12")
    await sim.restart()
    sim.clock.advance(timedelta(days=2))
    # The conversation is in the database: the next answer lands on question 3.
    await li.send(me, "7")
    assert "本月开展消防宣传次数" in last_text(sim, me)
    await sim.restart()
    await li.send(me, "/report police_monthly")
    text = last_text(sim, me)
    assert "已恢复草稿：已填写3/7题（您于11月18日 09:00保存），接着填写第4题。" in text
    assert "第4/7题" in text and "本月开展消防宣传次数" in text
    await sim.stop()


async def test_two_members_share_one_submission(sqlite_url):
    sim = await police_sim(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    wang = await member(sim, 2102, "王警官", "police_bureau")
    await li.send(li.id, "/report police_monthly")
    await wang.send(wang.id, "/report police_monthly")
    await li.press(li.id, "完成")
    await li.send(li.id, "12")
    sim.clock.advance(timedelta(hours=1))
    await wang.send(wang.id, "/report police_monthly")
    text = last_text(sim, wang.id)
    assert "已恢复草稿：已填写2/7题（本部门李警官于11月16日 09:00保存），接着填写第3题。" in text
    await wang.send(wang.id, "4")
    assert await count_rows(sim) == 1
    await li.send(li.id, "/report police_monthly")
    assert "本部门王警官于11月16日 10:00保存" in last_text(sim, li.id)
    assert "第4/7题" in last_text(sim, li.id)
    await sim.stop()


async def submit_police_form(sim: Simulation, actor) -> None:
    me = actor.id
    await actor.send(me, "/report police_monthly")
    await actor.press(me, "完成")
    for value in ("12", "3", "5"):
        await actor.send(me, value)
    await actor.press(me, "跳过")
    await actor.press(me, "完成")
    await actor.send(me, "按计划推进。")
    await actor.press(me, "提交")
    assert "已收到，谢谢" in last_text(sim, me)


async def test_late_edit_refused_until_a_coordinator_unlocks(sqlite_url):
    sim = await police_sim(sqlite_url)
    coord = sim.tg.actor(ADMIN)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await li.send(me, "/report police_monthly")
    await li.press(me, "完成")
    sim.clock.set(shanghai(2026, 11, 26, 8))  # the 25th (a Wednesday) has ended
    await li.send(me, "12")
    text = last_text(sim, me)
    assert text.startswith(
        "❗本表已于2026年11月25日（周三）截止，不能再修改。如需补报或更正，请联系协调员解锁。"
    )
    assert "公安分局未提交" in text
    await li.send(me, "/report police_monthly")
    assert "已于2026年11月25日（周三）截止，公安分局未提交" in last_text(sim, me)
    assert last_buttons(sim, me) == []

    await li.send(me, "/unlock police_bureau police_monthly")
    assert "仅限协调员" in last_text(sim, me)
    await coord.send(ADMIN, "/unlock 公安分局 公安分局消防工作情况")
    assert "已为公安分局解锁2026年11月《公安分局消防工作情况》" in last_text(sim, ADMIN)
    await coord.send(ADMIN, "/unlock 公安分局 police_monthly 2026-11")
    assert "已处于解锁状态" in last_text(sim, ADMIN)
    await coord.send(ADMIN, "/unlock 公安分局 police_monthly 2026-12")
    assert "尚未截止" in last_text(sim, ADMIN)

    await li.send(me, "/report police_monthly")
    assert "协调员已解锁本表，可补报或更正；提交后自动重新锁定。" in last_text(sim, me)
    await li.send(me, "12")
    for value in ("3", "5"):
        await li.send(me, value)
    await li.press(me, "跳过")
    await li.press(me, "完成")
    await li.send(me, "按计划推进。")
    await li.press(me, "提交")
    assert "已提交" in last_text(sim, me) and "本表已重新锁定" in last_text(sim, me)
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(ReportSubmission))
        kinds = list(await s.scalars(select(ReportEvent.kind).order_by(ReportEvent.id)))
    assert row is not None and row.late and row.unlocked_at is None
    assert kinds == [
        ReportEventKind.STARTED,
        ReportEventKind.LATE_EDIT_REFUSED,
        ReportEventKind.UNLOCKED,
        ReportEventKind.SUBMITTED,
    ]
    await li.send(me, "/report police_monthly")
    assert "如需更正，请联系协调员解锁" in last_text(sim, me)
    await sim.stop()


async def test_submitted_report_can_be_corrected_before_the_deadline(sqlite_url):
    sim = await police_sim(sqlite_url)
    li = await member(sim, 2101, "李警官", "police_bureau")
    me = li.id
    await submit_police_form(sim, li)
    sim.clock.advance(timedelta(days=1))
    await li.send(me, "/report police_monthly")
    text = last_text(sim, me)
    assert "本表已于11月16日 09:00由李警官提交" in text and "（已提交）" in text
    await li.press(me, "修改2")
    await li.send(me, "20")
    assert "有未提交的修改" in last_text(sim, me)
    await li.press(me, "提交")
    assert "已重新提交" in last_text(sim, me)
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(ReportSubmission))
    assert row is not None and row.answers is not None
    assert row.answers["inspected_units"] == 20 and not row.late
    await sim.stop()


async def test_typing_at_an_empty_list_names_the_button_on_screen(
    sqlite_url: str, clock: FakeClock
):
    office = await open_office(Simulation(database_url=sqlite_url, clock=clock))
    try:
        tg, housing = office.tg, office.actors[4002]
        office.sim.clock.advance(timedelta(days=1))  # 1 December: the December report is open
        await housing.send(4002, "/report")
        await housing.press(4002, "住建办物业消防工作情况（12月）")
        assert "添加会议" in [b.label for row in tg.last_message(4002).buttons for b in row]
        await housing.send(4002, "12月1日")
        answer = tg.last_message(4002)
        labels = [b.label for row in answer.buttons for b in row]
        assert answer.text.startswith("❗请点击“添加会议”或“完成”。"), answer.text
        assert "再加一条" not in answer.text.split("\n")[0] and "再加一条" not in labels
    finally:
        await office.sim.stop()
