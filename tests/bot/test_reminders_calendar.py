"""The shipped reminder calendar through a whole year of 2026, restarts and outages included.

Expected dates are written out by hand from the official 2026 holiday notice (元旦 1/1–3,
1/4 worked; 春节 2/15–23, 2/14 and 2/28 worked; 清明 4/4–6; 劳动节 5/1–5, 5/9 worked;
端午 6/19–21; 中秋 9/25–27; 国庆 10/1–7, 9/20 and 10/10 worked), not computed by the code.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from models.reminders import ReminderSend, SendKind, SendStatus
from services.clock import FakeClock
from sim.office import ADMIN
from sim.simulation import Simulation
from tests.bot.reminders_helpers import (
    DEPARTMENT_KEYS,
    SH,
    bind_groups,
    reminders_in,
    sends,
    sh,
    tick_reminders,
    title_of,
)

D = date
FIRST_WORKDAY = [
    D(2026, 1, 4),  # Sunday worked in lieu after 元旦
    D(2026, 2, 2),
    D(2026, 3, 2),
    D(2026, 4, 1),
    D(2026, 5, 6),  # after 劳动节
    D(2026, 6, 1),
    D(2026, 7, 1),
    D(2026, 8, 3),
    D(2026, 9, 1),
    D(2026, 10, 8),  # after 国庆
    D(2026, 11, 2),
    D(2026, 12, 1),
]
LAST_WORKDAY = [
    D(2026, 1, 30),
    D(2026, 2, 28),  # Saturday worked in lieu for 春节
    D(2026, 3, 31),
    D(2026, 4, 30),
    D(2026, 5, 29),
    D(2026, 6, 30),
    D(2026, 7, 31),
    D(2026, 8, 31),
    D(2026, 9, 30),
    D(2026, 10, 30),
    D(2026, 11, 30),
    D(2026, 12, 31),
]
TENTH_OR_NEXT = [
    D(2026, 1, 12),  # the 10th is a Saturday
    D(2026, 2, 10),
    D(2026, 3, 10),
    D(2026, 4, 10),
    D(2026, 5, 11),  # the 10th is a Sunday
    D(2026, 6, 10),
    D(2026, 7, 10),
    D(2026, 8, 10),
    D(2026, 9, 10),
    D(2026, 10, 10),  # a Saturday, but worked in lieu for 国庆
    D(2026, 11, 10),
    D(2026, 12, 10),
]
TWENTIETH_OR_NEXT = [
    D(2026, 1, 20),
    D(2026, 2, 24),  # 20–23 are 春节
    D(2026, 3, 20),
    D(2026, 4, 20),
    D(2026, 5, 20),
    D(2026, 6, 22),  # Saturday in 端午
    D(2026, 7, 20),
    D(2026, 8, 20),
    D(2026, 9, 20),  # a Sunday, but worked in lieu
    D(2026, 10, 20),
    D(2026, 11, 20),
    D(2026, 12, 21),  # Sunday
]
TWO_WORKDAYS_BEFORE_LAST = [
    D(2026, 1, 28),
    D(2026, 2, 26),  # the month ends on the 调休 Saturday 28th: 27th, 26th
    D(2026, 3, 27),  # 31st Tuesday: 30th, then Friday 27th
    D(2026, 4, 28),
    D(2026, 5, 27),
    D(2026, 6, 26),
    D(2026, 7, 29),
    D(2026, 8, 27),
    D(2026, 9, 28),
    D(2026, 10, 28),
    D(2026, 11, 26),
    D(2026, 12, 29),
]


def weekly_first_workdays() -> list[date]:
    """Mondays of ISO weeks 2–53, with the weeks whose Monday is off written out."""
    moved = {
        D(2026, 2, 23): D(2026, 2, 24),  # W09: Monday is the last day of 春节
        D(2026, 4, 6): D(2026, 4, 7),  # W15: 清明
        D(2026, 5, 4): D(2026, 5, 6),  # W19: 劳动节 to the 5th
        D(2026, 10, 5): D(2026, 10, 8),  # W41: 国庆 to the 7th
    }
    mondays = [D(2026, 1, 5) + timedelta(weeks=i) for i in range(52)]
    # W08 (16–22 Feb) is entirely 春节: no occurrence at all.
    return [moved.get(m, m) for m in mondays if m != D(2026, 2, 16)]


def at(days: list[date], clock: time) -> set[datetime]:
    return {datetime.combine(d, clock, tzinfo=SH) for d in days}


NINE, HALF_NINE, FOUR_PM = time(9, 0), time(9, 30), time(16, 0)
COMMUNITIES = ("community_qianshan", "community_lihua", "community_tanggangzi")
STATIONS = ("police_station_qianshan", "police_station_tanggangzi")
EXPECTED: dict[str, tuple[tuple[str, ...], set[datetime]]] = {
    "police_dispatch_meeting": (("police_bureau",), at(FIRST_WORKDAY, NINE)),
    "social_dispatch_meeting": (("social_affairs",), at(FIRST_WORKDAY, NINE)),
    "housing_property_meeting": (("housing",), at(FIRST_WORKDAY, NINE)),
    "brigade_guidance": (("fire_brigade",), at(FIRST_WORKDAY, HALF_NINE)),
    "station_guidance": (STATIONS, at(FIRST_WORKDAY, HALF_NINE)),
    "station_annual_inspection": (STATIONS, at([D(2026, 3, 2)], HALF_NINE)),
    "social_training": (("social_affairs",), at(TENTH_OR_NEXT, NINE)),
    "community_inspection": (COMMUNITIES, at(TENTH_OR_NEXT, NINE)),
    "grid_weekly_patrol": (COMMUNITIES, at(weekly_first_workdays(), NINE)),
    "joint_enforcement": (
        ("police_bureau", "housing", "fire_brigade", *COMMUNITIES),
        at(TWENTIETH_OR_NEXT, NINE),
    ),
    "joint_meeting": (
        ("coordinator_office",),
        at(LAST_WORKDAY, FOUR_PM) | at(TWO_WORKDAYS_BEFORE_LAST, FOUR_PM),
    ),
}


async def test_a_year_of_2026_follows_the_official_calendar_across_restarts(sqlite_url: str):
    clock = FakeClock(sh(2025, 12, 31, 23, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调", started=True)
    groups = await bind_groups(sim, coord)
    await sim.tick()

    rng = random.Random(2026)
    restart_days = {D(2026, 1, 1) + timedelta(days=i) for i in rng.sample(range(365), 12)}
    # Only this feature's step runs (the other features' steps have their own tests), and only
    # at the moments the calendar above expects, plus 09:00 of each restart day. The tick looks
    # back to its previous run, so a reminder computed for any other moment would be found at
    # the next tick: recorded late, missed or skipped, which the checks below refuse.
    moments = {moment for _, expected in EXPECTED.values() for moment in expected}
    moments |= at(sorted(restart_days), NINE)
    for moment in sorted(moments):
        clock.set(moment)
        await tick_reminders(sim)
        if moment.date() in restart_days and moment.time() == NINE:
            # A restart between two ticks (and the same tick run again) changes nothing.
            await sim.restart()
            await tick_reminders(sim)
    assert clock.now() == datetime(2026, 12, 31, 16, 0, tzinfo=SH)  # the year's last moment

    recorded = [s for s in await sends(sim) if s[4] is SendKind.SCHEDULED]
    assert all(
        s[5] is SendStatus.SENT for s in recorded
    )  # ticked on time: nothing late, nothing missed
    async with sim.rt.transaction() as session:
        moments = (
            await session.execute(select(ReminderSend.fire_at, ReminderSend.created_at))
        ).all()
    assert moments and all(fire_at == created_at for fire_at, created_at in moments)
    keys = [(rule, dept, fire_at) for rule, dept, _, fire_at, _, _ in recorded]
    assert len(keys) == len(set(keys))
    expected = {
        (rule, dept, moment.astimezone(SH))
        for rule, (departments, moments) in EXPECTED.items()
        for dept in departments
        for moment in moments
    }
    assert {(rule, dept, fire.astimezone(SH)) for rule, dept, fire in keys} == expected

    # What each department's group actually received: one message per expected reminder.
    names = {spec.key: spec.name for spec in sim.rt.org.reminders}
    for key in DEPARTMENT_KEYS:
        got = Counter(title_of(m) for m in reminders_in(sim, groups[key]))
        want = Counter(
            names[rule]
            for rule, (departments, moments) in EXPECTED.items()
            if key in departments
            for _ in moments
        )
        assert got == want, key
    joint = [m for m in reminders_in(sim, ADMIN) if title_of(m) == "月度联席会议"]
    assert len(joint) == 24
    assert "时间：2026年12月31日（周四） 16:00（还有2个工作日）" in joint[-2].text
    assert "时间：2026年12月31日（周四） 16:00（今天）" in joint[-1].text
    assert joint[-1].button_labels == ["已召开", "改期"]
    # 2027 is not in the calendar package here: the coordinators were warned, once.
    warnings = [m for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【日历提醒】")]
    assert len(warnings) == 1 and "2027年" in warnings[0].text
    sim.tg.check()
    await sim.stop()


async def test_three_day_outage_sends_what_is_in_grace_and_lists_the_rest(sqlite_url: str):
    clock = FakeClock(sh(2026, 11, 28, 11, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调", started=True)
    groups = await bind_groups(sim, coord)
    await sim.tick()
    before = {key: len(reminders_in(sim, chat)) for key, chat in groups.items()}
    sim.tg.check()
    await sim.stop()

    # Down from Saturday 28 Nov 12:00 to Tuesday 1 Dec 12:00. Meanwhile: Monday 30 Nov 09:00
    # (网格周巡查) and 16:00 (月度联席会议, the month's last workday) — over 12 hours late;
    # Tuesday 1 Dec 09:00 and 09:30 (the first workday's meetings and guidance) — 3 hours late.
    clock.set(sh(2026, 12, 1, 12, 0))
    await sim.start()
    await sim.tick()
    after = {key: reminders_in(sim, chat)[before[key] :] for key, chat in groups.items()}
    assert {key: [title_of(m) for m in msgs] for key, msgs in after.items()} == {
        "fire_brigade": ["社区和派出所指导培训"],
        "police_bureau": ["月度消防工作调度会"],
        "police_station_qianshan": ["指导社区和物业企业"],
        "police_station_tanggangzi": ["指导社区和物业企业"],
        "housing": ["物业企业消防工作会议"],
        "social_affairs": ["月度消防工作调度会"],
        "community_qianshan": [],
        "community_lihua": [],
        "community_tanggangzi": [],
    }
    meeting = after["police_bureau"][0].text
    assert "时间：2026年12月1日（周二） 09:00（今天）" in meeting
    assert "周期：2026年12月" in meeting and "部门：公安分局" in meeting
    [missed] = [m.text for m in sim.tg.bot_messages(ADMIN) if m.text.startswith("【提醒未发送】")]
    assert missed.count("网格周巡查（2026年第49周），应于11月30日 09:00发送") == 3
    assert missed.count("三级办 · 月度联席会议（2026年11月），应于11月30日 16:00发送") == 1
    assert "/remind_now" in missed

    # Running again, or restarting again, sends nothing more.
    count = sim.tg.count_messages(from_bot=True)
    await sim.tick()
    await sim.restart()
    await sim.tick()
    assert sim.tg.count_messages(from_bot=True) == count
    statuses = Counter((rule, status) for rule, _, _, _, _, status in await sends(sim))
    assert statuses[("grid_weekly_patrol", SendStatus.MISSED)] == 3
    assert statuses[("joint_meeting", SendStatus.MISSED)] == 1
    assert statuses[("station_guidance", SendStatus.SENT)] == 2
    sim.tg.check()
    await sim.stop()


async def test_two_hour_outage_sends_the_missed_reminders_once_on_start(sqlite_url: str):
    clock = FakeClock(sh(2026, 12, 21, 8, 0))
    sim = Simulation(database_url=sqlite_url, clock=clock, admins=(ADMIN,))
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    groups = await bind_groups(sim, coord)
    await sim.tick()
    sim.tg.check()
    await sim.stop()

    clock.set(sh(2026, 12, 21, 10, 0))  # 09:00 passed while down
    await sim.start()
    await sim.tick()
    await sim.restart()
    clock.set(sh(2026, 12, 21, 10, 5))
    await sim.tick()
    titles = {key: [title_of(m) for m in reminders_in(sim, chat)] for key, chat in groups.items()}
    assert sorted(titles["community_lihua"]) == ["网格周巡查", "联合执法行动"]
    assert titles["police_bureau"] == ["联合执法行动"]
    assert titles["police_station_qianshan"] == []
    text = reminders_in(sim, groups["housing"])[0].text
    assert "日期：2026年12月21日（周一） 09:00（今天）" in text
    assert not any(m.text.startswith("【提醒未发送】") for m in sim.tg.bot_messages(ADMIN))
    sim.tg.check()
    await sim.stop()
