"""Filling each shipped form end to end through the fake Telegram."""

from __future__ import annotations

from sqlalchemy import select

from models.reports import ReportSubmission, SubmissionStatus
from sim.office import ADMIN, last_text
from sim.simulation import FAST_HANDS, Simulation
from tests.bot.reports.helpers import bind, clock_at, last_buttons, member


async def submissions(sim: Simulation) -> list[ReportSubmission]:
    async with sim.rt.transaction() as s:
        return list(await s.scalars(select(ReportSubmission).order_by(ReportSubmission.id)))


async def test_community_fills_its_form_with_groups_and_photos(sqlite_url):
    sim = Simulation(
        database_url=sqlite_url, clock=clock_at(2026, 11, 16), admins=(ADMIN,), flood=FAST_HANDS
    )
    sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    tg = sim.tg
    group = await bind(sim, "千山社区工作群", "community_qianshan")
    zhang = await member(sim, 2001, "张社区", "community_qianshan")
    me = zhang.id

    await zhang.send(me, "/report")
    assert "千山社区需填报的月度报表" in last_text(sim, me)
    await zhang.press(me, "社区工作制度履行情况（11月）")
    text = last_text(sim, me)
    assert "开始填写2026年11月《社区工作制度履行情况》" in text
    assert "第1/7题" in text and "本月召开的消防工作会议" in text
    assert last_buttons(sim, me) == ["添加会议", "完成", "返回"]
    await zhang.press(me, "添加会议")
    assert "第1条会议" in last_text(sim, me) and "会议日期" in last_text(sim, me)
    await zhang.send(me, "11月5日")
    assert "参会人数" in last_text(sim, me)
    await zhang.send(me, "32人")
    await zhang.send(me, "部署冬季消防检查")
    assert "已填写1条会议" in last_text(sim, me)
    await zhang.press(me, "再加一条")
    await zhang.send(me, "11/12")
    await zhang.send(me, "15")
    await zhang.send(me, "电动车集中充电")
    await zhang.press(me, "完成")
    assert "本月组织的消防指导培训" in last_text(sim, me)
    await zhang.press(me, "添加培训")
    await zhang.send(me, "昨天")
    await zhang.press(me, "网格员")
    await zhang.press(me, "楼长")
    assert "已选：网格员、楼长" in last_text(sim, me)
    await zhang.press(me, "完成")
    await zhang.send(me, "40")
    await zhang.press(me, "完成")
    await zhang.send(me, "4次")
    await zhang.send(me, "6")
    await zhang.send(me, "5")
    await zhang.press(me, "是")
    assert "消防检查现场照片" in last_text(sim, me)
    await zhang.send_photo(me)
    assert "已收到1张照片" in last_text(sim, me)
    await zhang.send_photo(me)
    await zhang.press(me, "完成")
    review = last_text(sim, me)
    assert "请核对以上内容" in review
    assert "1. 本月召开的消防工作会议：共2条" in review
    assert (
        "（1）会议日期：2026年11月5日（周四）；参会人数：32人；会议议题：部署冬季消防检查" in review
    )
    assert "2. 本月组织的消防指导培训：共1条" in review
    assert "培训对象：网格员、楼长" in review
    assert "3. 本月消防检查次数：4次" in review
    assert "6. 网格员是否每周对管区开展消防检查：是" in review
    assert "7. 消防检查现场照片：2张照片" in review
    await zhang.press(me, "提交")
    assert "已收到，谢谢。千山社区2026年11月《社区工作制度履行情况》已提交" in last_text(sim, me)
    rows = await submissions(sim)
    assert len(rows) == 1 and rows[0].status is SubmissionStatus.SUBMITTED
    answers = rows[0].answers
    assert answers is not None
    assert answers["meetings"][1] == {
        "date": "2026-11-12",
        "attendees": 15,
        "topic": "电动车集中充电",
    }
    assert answers["trainings"] == [
        {"date": "2026-11-15", "audience": ["网格员", "楼长"], "attendees": 40}
    ]
    assert len(answers["inspection_photos"]) == 2
    await sim.tick()
    notice = "【月报已提交】张社区已提交千山社区2026年11月《社区工作制度履行情况》"
    assert any(notice in m.text for m in tg.chat_view(group))
    tg.check()
    await sim.stop()
