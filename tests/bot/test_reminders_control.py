"""Coordinator control of reminders: /reminders, /remind_now, pause and resume, unbound
departments, and a year missing from the holiday calendar."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_ORG, PROJECT_ROOT
from models.reminders import SendKind, SendStatus
from services.clock import FakeClock
from services.workdays import WorkdayCalendar
from sim.office import ADMIN, invite
from sim.simulation import Simulation
from tests.bot.reminders_helpers import (
    bind_groups,
    reminders_in,
    sends,
    sh,
    tick_reminders,
    title_of,
)
from tests.support import databases


def block(text: str, title: str) -> str:
    """One rule's block in /reminders."""
    start = text.index(f"【{title}】")
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


async def test_reminders_listing(sqlite_url: str):
    clock = FakeClock(sh(2026, 11, 30, 20, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await bind_groups(sim, coord, ("police_bureau", "community_lihua"))
    await coord.send(ADMIN, "/reminder_pause station_guidance")
    await coord.send(ADMIN, "/reminders")
    pages = [m.text for m in sim.tg.bot_messages(ADMIN)][-2:]
    assert all(len(p) <= 4096 for p in pages)
    text = "\n\n".join(p for p in pages if "【" in p)
    assert text.startswith(
        "提醒规则（共11条）：\n⚠️ 尚未录入2027年的节假日安排，暂按周一至周五计算。"
    )
    assert block(text, "月度消防工作调度会") == "\n".join(
        [
            "【月度消防工作调度会】",
            "代码：police_dispatch_meeting",
            "时间：每月第一个工作日 09:00",
            "下次：2026年12月1日（周二） 09:00（2026年12月）",
            "· 公安分局",
        ]
    )
    assert block(text, "月度联席会议") == "\n".join(
        [
            "【月度联席会议】",
            "代码：joint_meeting",
            "时间：每月最后一个工作日 16:00",
            "提醒：提前2个工作日、当天",
            "下次：2026年12月31日（周四） 16:00（2026年12月）",
            "下次提醒：12月29日 16:00、12月31日 16:00",
            "· 三级办",
        ]
    )
    assert block(text, "联合执法行动") == "\n".join(
        [
            "【联合执法行动】",
            "代码：joint_enforcement",
            "时间：每月20日 09:00（非工作日顺延）",
            "下次：2026年12月21日（周一） 09:00（2026年12月）",
            "· 消防大队 ⚠️ 未绑定工作群，提醒转送协调员",
            "· 公安分局",
            "· 住建办 ⚠️ 未绑定工作群，提醒转送协调员",
            "· 千山社区 ⚠️ 未绑定工作群，提醒转送协调员",
            "· 梨花社区",
            "· 汤岗子社区 ⚠️ 未绑定工作群，提醒转送协调员",
        ]
    )
    assert "下次：2026年12月7日（周一） 09:00（2026年第50周）" in block(text, "网格周巡查")
    assert "下次：2027年3月1日（周一） 09:30（2027年）" in block(text, "年度消防检查")
    assert block(text, "指导社区和物业企业").startswith("【指导社区和物业企业】⏸ 已暂停")

    # Only coordinators see it.
    member = await invite(sim, coord, 2001, "张警官", "police_bureau")
    await member.send(2001, "/reminders")
    assert "仅限协调员" in sim.tg.last_message(2001).text
    sim.tg.check()
    await sim.stop()


async def test_remind_now_pause_and_resume(sqlite_url: str):
    clock = FakeClock(sh(2026, 12, 3, 10, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    groups = await bind_groups(sim, coord, ("police_bureau", "housing", "community_lihua"))
    await tick_reminders(sim)

    await coord.send(ADMIN, "/remind_now nosuch")
    assert sim.tg.last_message(ADMIN).text.startswith("未找到提醒规则“nosuch”。可用的规则代码：")
    await coord.send(ADMIN, "/remind_now joint_enforcement 住建办")
    assert sim.tg.last_message(ADMIN).text == (
        "已发送“联合执法行动”（2026年12月）提醒至：住建办。\n本次为即时发送，原定的提醒仍按计划发送。"
    )
    await tick_reminders(sim)
    now_sent = reminders_in(sim, groups["housing"])
    assert [title_of(m) for m in now_sent] == ["联合执法行动"]
    assert "日期：2026年12月21日（周一） 09:00" in now_sent[0].text
    assert now_sent[0].text.endswith("（协调员即时发送）")
    assert reminders_in(sim, groups["police_bureau"]) == []

    # The scheduled reminder still goes out on its day; the manual one is recorded apart.
    await coord.send(ADMIN, "/reminder_pause grid_weekly_patrol")
    assert "已暂停提醒规则“网格周巡查”" in sim.tg.last_message(ADMIN).text
    await coord.send(ADMIN, "/reminder_pause grid_weekly_patrol")
    assert "已处于暂停状态" in sim.tg.last_message(ADMIN).text
    for day in range(7, 15):
        clock.set(sh(2026, 12, day, 9, 0))
        await tick_reminders(sim)
        if day == 8:
            await coord.send(ADMIN, "/reminder_resume 网格周巡查")
            assert "已恢复提醒规则“网格周巡查”" in sim.tg.last_message(ADMIN).text
    lihua = [title_of(m) for m in reminders_in(sim, groups["community_lihua"])]
    # 7 Dec (paused): nothing, and not listed as missed; 10 Dec: 月度消防检查; 14 Dec: patrol.
    assert lihua == ["月度消防检查", "网格周巡查"]
    assert not any(m.text.startswith("【提醒未发送】") for m in sim.tg.bot_messages(ADMIN))
    clock.set(sh(2026, 12, 21, 9, 0))
    await tick_reminders(sim)
    housing = [title_of(m) for m in reminders_in(sim, groups["housing"])]
    assert housing == ["联合执法行动", "联合执法行动"]
    kinds = sorted(
        (kind, status)
        for rule, dept, *_, kind, status in await sends(sim)
        if (rule, dept) == ("joint_enforcement", "housing")
    )
    assert kinds == [(SendKind.MANUAL, SendStatus.SENT), (SendKind.SCHEDULED, SendStatus.SENT)]

    member = await invite(sim, coord, 2001, "张警官", "police_bureau")
    await member.send(2001, "/reminder_pause grid_weekly_patrol")
    assert "仅限协调员" in sim.tg.last_message(2001).text
    sim.tg.check()
    await sim.stop()


async def test_unbound_department_is_reported_not_dropped(sqlite_url: str):
    clock = FakeClock(sh(2026, 11, 30, 20, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    keys = ("fire_brigade", "police_bureau", "police_station_qianshan", "police_station_tanggangzi")
    await bind_groups(sim, coord, (*keys, "housing", "community_qianshan", "community_lihua"))
    await tick_reminders(sim)
    notices = [m.text for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【提醒规则】")]
    assert notices == [
        "【提醒规则】以下部门尚未绑定可用的工作群，其提醒将转送协调员和领导小组：\n"
        "· 社会事业局（social_affairs）：月度消防工作调度会、月度消防培训\n"
        "· 汤岗子社区（community_tanggangzi）：月度消防检查、网格周巡查、联合执法行动\n"
        "请将本机器人拉入该部门的工作群，由协调员在群内发送 /bind 部门代码。"
    ]
    clock.set(sh(2026, 12, 1, 9, 0))
    await tick_reminders(sim)
    forwarded = [m.text for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【转送】")]
    assert [t.split("\n")[0] for t in forwarded] == [
        "【转送】社会事业局尚无可用的工作群，以下消息转送协调员和领导小组："
    ]
    assert "【工作提醒】月度消防工作调度会\n部门：社会事业局" in forwarded[0]

    # Bound later: reminders go to the group, and no new notice.
    social = sim.tg.create_group("社会事业局工作群")
    await coord.send(social, "/bind social_affairs")
    clock.set(sh(2026, 12, 7, 9, 0))
    await tick_reminders(sim)
    clock.set(sh(2026, 12, 10, 9, 0))
    await tick_reminders(sim)
    assert [title_of(m) for m in reminders_in(sim, social)] == ["月度消防培训"]
    forwarded = [m.text for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【转送】")]
    assert [t.split("\n")[3] for t in forwarded] == [
        "部门：社会事业局",
        "部门：汤岗子社区",  # 7 Dec: 网格周巡查
        "部门：汤岗子社区",  # 10 Dec: 月度消防检查
    ]
    notices_now = [m for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【提醒规则】")]
    assert len(notices_now) == 1
    # Unbound again: reported again, within the hour.
    await coord.send(social, "/unbind")
    clock.set(sh(2026, 12, 10, 10, 0))
    await tick_reminders(sim)
    notices_now = [m for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【提醒规则】")]
    assert len(notices_now) == 2
    assert notices_now[-1].text.splitlines()[1:-1] == [
        "· 社会事业局（social_affairs）：月度消防工作调度会、月度消防培训"
    ]
    sim.tg.check()
    await sim.stop()


def org_with_2027(tmp_path: Path) -> Path:
    """The example org file plus office-supplied dates for 2027 (a hypothetical notice)."""
    text = DEFAULT_ORG.read_text(encoding="utf-8")
    assert text.count("\ncalendar: {}\n") == 1
    text = text.replace(
        "\ncalendar: {}\n",
        "\ncalendar:\n  2027:\n    holidays: [2027-01-01, 2027-01-02, 2027-01-03]\n"
        "    workdays: []\n",
    )
    text = text.replace(
        "forms_file: forms.example.yaml", f"forms_file: {PROJECT_ROOT / 'forms.example.yaml'}"
    )
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(
    WorkdayCalendar.build().is_known_year(2027),
    reason="the installed chinese-calendar knows 2027; this test is about a year it does not know",
)
async def test_missing_year_falls_back_and_office_dates_fix_it(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path
):
    # Without 2027 data: warned once (45 days ahead), and 1 January 2027 — 元旦 in reality —
    # is taken for a Friday workday.
    clock = FakeClock(sh(2026, 11, 16, 9, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调", started=True)
    police = (await bind_groups(sim, coord, ("police_bureau",)))["police_bureau"]
    await tick_reminders(sim)
    assert not any(m.text.startswith("【日历提醒】") for m in sim.tg.bot_messages(ADMIN))
    clock.set(sh(2026, 11, 17, 9, 0))
    await tick_reminders(sim)
    await sim.restart()
    clock.set(sh(2026, 11, 18, 10, 0))
    await tick_reminders(sim)
    warnings = [m.text for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【日历提醒】")]
    assert len(warnings) == 1
    assert "尚未录入2027年的法定节假日和调休安排" in warnings[0]
    assert "calendar" in warnings[0] and "按周一至周五计算工作日" in warnings[0]
    clock.set(sh(2027, 1, 1, 9, 0))
    await tick_reminders(sim)
    january = [m for m in reminders_in(sim, police) if "周期：2027年1月" in m.text]
    assert "时间：2027年1月1日（周五） 09:00（今天）" in january[0].text
    sim.tg.check()
    await sim.stop()

    # With the office's 2027 dates: no warning, and the month starts on Monday 4 January.
    clock = FakeClock(sh(2026, 12, 31, 20, 0))
    other = Simulation(
        database_url=databases.sqlite_copy(sqlite_template, tmp_path / "office"),
        clock=clock,
        admins=(ADMIN,),
        org_path=org_with_2027(tmp_path),
    )
    await other.start()
    coord = other.tg.user(ADMIN, "王", "协调")
    police = (await bind_groups(other, coord, ("police_bureau",)))["police_bureau"]
    for day in (1, 2, 3, 4):
        clock.set(sh(2027, 1, day, 9, 0))
        await tick_reminders(other)
    january = [m for m in reminders_in(other, police) if "周期：2027年1月" in m.text]
    assert len(january) == 1
    assert "时间：2027年1月4日（周一） 09:00（今天）" in january[0].text
    assert not any(m.text.startswith("【日历提醒】") for m in other.tg.bot_messages(ADMIN))
    other.tg.check()
    await other.stop()
