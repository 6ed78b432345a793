"""The demo's scripted month (December 2026), acted by simulated people from org.example.yaml.

Every act goes through the same chat commands and buttons a person would use; time moves
only through the simulation's clock, and every scheduler tick runs the real steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from faketg import Actor
from sim.filler import Filler, PlausibleAnswers
from sim.office import ADMIN, ScriptError, expect, last_text, walk_whistle
from sim.office import set_up as office_set_up
from sim.simulation import Simulation

SH = ZoneInfo("Asia/Shanghai")
LEADER = 1002
GRID = 3001
# user id -> (name, invitation role, department or area)
PEOPLE: dict[int, tuple[str, str, str]] = {
    LEADER: ("刘副主任", "领导", ""),
    GRID: ("李某", "网格员", "梨花苑小区"),
    4001: ("周警官", "成员", "police_station_qianshan"),
    4002: ("赵某", "成员", "housing"),
    4003: ("孙主任", "负责人", "community_qianshan"),
    4004: ("吴参谋", "成员", "fire_brigade"),
    4005: ("陈警官", "成员", "police_bureau"),
    4006: ("郑科长", "成员", "social_affairs"),
}
GROUP_TITLES: dict[str, str] = {
    "leading_group": "消防安全工作领导小组",
    "fire_brigade": "消防大队工作群",
    "police_bureau": "公安分局工作群",
    "police_station_qianshan": "千山派出所工作群",
    "police_station_tanggangzi": "汤岗子派出所工作群",
    "housing": "住建办工作群",
    "social_affairs": "社会事业局工作群",
    "community_qianshan": "千山社区工作群",
    "community_lihua": "梨花社区工作群",
    "community_tanggangzi": "汤岗子社区工作群",
}
# Who fills which form, and on which day of December (housing is late: after the 25th).
REPORTS: list[tuple[int, str, int]] = [
    (4005, "police_monthly", 21),
    (4003, "community_duties", 22),
    (4004, "brigade_guidance", 23),
    (4004, "highlights", 23),
    (4006, "social_affairs_monthly", 24),
    (ADMIN, "joint_enforcement", 24),
    (4002, "housing_monthly", 28),
]


URGENT_PIN = (41.0195, 123.1236)  # the urgent case's map pin


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@dataclass
class Office:
    """The simulated office: its groups and people, and a log of what the script did."""

    sim: Simulation
    say: Callable[[str], None]
    groups: dict[str, int] = field(default_factory=dict)
    people: dict[int, Actor] = field(default_factory=dict)

    def last(self, chat_id: int) -> str:
        return last_text(self.sim, chat_id)

    def expect(self, chat_id: int, fragment: str) -> str:
        return expect(self.sim, chat_id, fragment)

    async def until(self, when: datetime, *, fine: bool = False) -> None:
        """Let time pass. Ticks every 10 minutes while a ladder runs (fine), else every 30
        minutes by day and every 2 hours at night: a month in well under a minute."""
        sim = self.sim
        while sim.clock.now() < when:
            hour = sim.clock.now().astimezone(SH).hour
            if fine:
                step = timedelta(minutes=10)
            else:
                step = timedelta(minutes=30) if 8 <= hour < 20 else timedelta(hours=2)
            await sim.advance(min(step, when - sim.clock.now()), step=step)


async def set_up(office: Office) -> None:
    """The coordinator binds every department's group and invites the people."""
    coord = office.people[ADMIN]
    await coord.send(ADMIN, "/start")
    office.say("协调员绑定各部门工作群，并邀请人员登记")
    groups, people = await office_set_up(office.sim, coord, GROUP_TITLES, PEOPLE)
    office.groups.update(groups)
    office.people.update(people)
    await office.sim.tick()


async def meetings(office: Office) -> None:
    """First workday: the meeting reminders go out; two departments confirm theirs."""
    await office.until(sh(12, 1, 10, 0))
    office.say(
        "12月1日（周二）首个工作日：各部门收到会议、指导、培训提醒；公安分局、住建办确认已召开"
    )
    for uid, key in ((4005, "police_bureau"), (4002, "housing")):
        group = office.groups[key]
        await office.people[uid].press(group, "已召开")
        await office.people[uid].press(
            group,
            next(
                label
                for label in office.sim.tg.chat_view(group)[-1].button_labels
                if label.startswith("今天")
            ),
        )
        office.expect(group, "已登记")


async def whistle(
    office: Office,
    category: str,
    *,
    description: str,
    urgent: bool,
    photo: bool,
    location: tuple[float, float] | None,
    address: str,
) -> str:
    """The grid worker walks the whistle conversation; returns the case number."""
    await walk_whistle(
        office.people[GRID],
        category=category,
        area="梨花苑小区",
        location=location,
        address=address,
        photos=1 if photo else 0,
        description=description,
        urgent=urgent,
    )
    found = re.search(r"QS-\d{4}-\d{4}", office.last(GRID))
    if not found:
        raise ScriptError(f"no case number: {office.last(GRID)!r}")
    return found.group(0)


async def cases(office: Office) -> tuple[str, str]:
    """Two hazards: the police station reports at once, the housing office stays silent."""
    await office.until(sh(12, 2, 9, 10))
    office.say(
        "12月2日 09:14 网格员吹哨：紧急隐患（消防通道堵塞，附照片和位置）和一般隐患（易燃杂物）"
    )
    office.sim.clock.set(sh(12, 2, 9, 14))
    urgent = await whistle(
        office,
        "消防通道堵塞",
        description="消防通道被三辆货车堵塞，已持续一天。",
        urgent=True,
        photo=True,
        location=URGENT_PIN,
        address="3号楼东侧",
    )
    normal = await whistle(
        office,
        "易燃杂物堆放",
        description="2单元楼道内堆放大量纸箱杂物。",
        urgent=False,
        photo=False,
        location=None,
        address="2单元楼道",
    )
    await office.sim.tick()
    office.say("千山派出所立即报到；千山社区随后报到；住建办未报到，按阶梯催办并升级至领导小组")
    office.sim.clock.set(sh(12, 2, 9, 16))
    await office.people[4001].press(office.groups["police_station_qianshan"], "报到")
    office.sim.clock.set(sh(12, 2, 9, 20))
    community = office.groups["community_qianshan"]
    for message in office.sim.tg.bot_messages(community):
        if "报到" in message.button_labels:
            await office.people[4003].press(community, "报到", message_id=message.message_id)
    await office.until(sh(12, 2, 9, 41), fine=True)
    office.say("紧急案件报到后30分钟内须到场：千山派出所 09:41 到场打卡（距隐患点约80米）")
    await arrive(office, 4001, "police_station_qianshan", urgent, near(URGENT_PIN, 80))
    await office.until(sh(12, 2, 9, 50), fine=True)
    await office.until(sh(12, 2, 9, 55), fine=True)
    office.say("千山社区 09:50 未到场，收到到场催办；09:55 到场打卡")
    await arrive(office, 4003, "community_qianshan", urgent, near(URGENT_PIN, 120))
    await office.until(sh(12, 2, 10, 5), fine=True)
    office.say("住建办 10:05 报到（紧急案件）")
    housing = office.groups["housing"]
    card = next(
        m
        for m in office.sim.tg.bot_messages(housing)
        if urgent in m.text and "报到" in m.button_labels
    )
    await office.people[4002].press(housing, "报到", message_id=card.message_id)
    await office.until(sh(12, 2, 10, 30), fine=True)
    office.say("住建办 10:30 到场打卡，位置距隐患点约1.2公里，确认后仍登记到场")
    await arrive(office, 4002, "housing", urgent, near(URGENT_PIN, 1200), confirm=True)
    return urgent, normal


def near(pin: tuple[float, float], metres: float) -> tuple[float, float]:
    """A point `metres` north of a pin (one degree of latitude is about 111.2 km)."""
    return pin[0] + metres / 111_195, pin[1]


async def arrive(
    office: Office,
    uid: int,
    key: str,
    case_no: str,
    location: tuple[float, float],
    *,
    confirm: bool = False,
) -> None:
    """到场打卡: the card's button, then the location button in the private chat."""
    group = office.groups[key]
    card = next(
        m
        for m in reversed(office.sim.tg.bot_messages(group))
        if case_no in m.text and "到场打卡" in m.button_labels
    )
    actor = office.people[uid]
    await actor.press(group, "到场打卡", message_id=card.message_id)
    await actor.tap_keyboard(uid, "📍 发送当前位置", location=location)
    if confirm:
        office.expect(uid, "仍登记到场？")
        await actor.press(uid, "仍登记到场")
    office.expect(uid, "到场：")


async def resolve(office: Office, uid: int, key: str, case_no: str, note: str, photo: bool) -> None:
    """A department reports what it did (处置完成), from its group into a private note."""
    group = office.groups[key]
    card = next(
        m
        for m in reversed(office.sim.tg.bot_messages(group))
        if case_no in m.text and "处置完成" in m.button_labels
    )
    actor = office.people[uid]
    await actor.press(group, "处置完成", message_id=card.message_id)
    await actor.send(uid, note)
    if photo:
        await actor.send_photo(uid)
    await actor.press(uid, "提交")
    office.expect(uid, "处置情况已提交")


async def close_the_loop(office: Office, urgent: str, normal: str) -> None:
    """Departments resolve; the grid worker verifies one case and reopens the other."""
    await office.until(sh(12, 2, 15, 0), fine=True)
    office.say("各部门处置完成；网格员核查：紧急案件已消除并结案")
    await resolve(
        office, 4001, "police_station_qianshan", urgent, "已责令车主挪车，通道已畅通。", False
    )
    await resolve(office, 4002, "housing", urgent, "已联系物业清理通道并设置禁停标识。", True)
    await resolve(
        office, 4003, "community_qianshan", urgent, "已张贴告知书，纳入网格日常巡查。", False
    )
    await office.sim.tick()
    grid = office.people[GRID]
    await grid.press(GRID, "已消除")
    office.expect(GRID, "已结案")

    await office.until(sh(12, 3, 11, 0), fine=True)
    office.say("住建办12月3日报到一般案件；社区、住建办处置后，网格员核查未通过，案件重新派遣")
    housing = office.groups["housing"]
    card = next(
        m
        for m in office.sim.tg.bot_messages(housing)
        if normal in m.text and "报到" in m.button_labels
    )
    await office.people[4002].press(housing, "报到", message_id=card.message_id)
    await office.sim.tick()
    await resolve(
        office, 4003, "community_qianshan", normal, "已组织清理，剩余杂物由物业清运。", False
    )
    await resolve(office, 4002, "housing", normal, "已通知物业限期清运。", False)
    await office.sim.tick()
    await office.until(sh(12, 4, 10, 0), fine=True)
    grid = office.people[GRID]
    await grid.press(GRID, "未消除")
    await grid.send(GRID, "2单元楼道仍有纸箱堆放，未清理完毕。")
    office.expect(GRID, "已重新派遣")
    await office.sim.tick()
    await office.until(sh(12, 4, 10, 30), fine=True)
    office.say("案件重新派遣后，千山社区、住建办再次报到，继续处置")
    for uid, key in ((4003, "community_qianshan"), (4002, "housing")):
        group = office.groups[key]
        card = next(
            m
            for m in reversed(office.sim.tg.bot_messages(group))
            if normal in m.text and "报到" in m.button_labels
        )
        await office.people[uid].press(group, "报到", message_id=card.message_id)


async def reports(office: Office) -> None:
    """Departments fill their monthly reports; housing misses the deadline and is unlocked."""
    forms = office.sim.rt.forms
    coord = office.people[ADMIN]
    for uid, form_key, day in REPORTS:
        await office.until(sh(12, day, 10, 0))
        form = forms.form(form_key)
        if form is None:
            raise ScriptError(f"form {form_key} is not in the forms file")
        actor = office.people[uid]
        if day > 25:
            office.say(f"12月{day}日 住建办逾期：协调员解锁后补报《{form.title}》")
            await coord.send(ADMIN, f"/unlock housing {form_key}")
        else:
            dept = office.sim.rt.org.department(PEOPLE[uid][2]) if uid in PEOPLE else None
            who = f"{dept.name} {PEOPLE[uid][0]}" if dept is not None else "三级办协调员"
            office.say(f"12月{day}日 {who} 填报《{form.title}》")
        await actor.send(uid, f"/report {form_key}")
        await Filler(office.sim.tg, actor, PlausibleAnswers(date(2026, 12, day))).fill(form)
        await actor.press(uid, "提交")
        office.expect(uid, "已收到，谢谢")


async def month_end(office: Office) -> None:
    """The last workday: the draft reaches the coordinator, who adds 工作要求 and signs it."""
    office.say("12月31日（周四）最后一个工作日 16:00：协调员自动收到月度通报送审稿")
    await office.until(sh(12, 31, 16, 30))
    coord = office.people[ADMIN]
    office.say("16:30 协调员补充工作要求，重新生成送审稿后签发")
    await coord.press(ADMIN, "补充工作要求")
    await coord.send(ADMIN, "住建办于1月8日前书面说明本月被升级案件的原因，并落实专人值守报到。")
    office.expect(ADMIN, "已收到，谢谢")
    await office.until(sh(12, 31, 16, 35))
    await coord.press(ADMIN, "签发")
    await office.until(sh(12, 31, 16, 40))
    await coord.send(ADMIN, "/status 2026-12")


async def run_month(office: Office) -> tuple[str, str]:
    await set_up(office)
    await meetings(office)
    urgent, normal = await cases(office)
    await close_the_loop(office, urgent, normal)
    await reports(office)
    await month_end(office)
    return urgent, normal
