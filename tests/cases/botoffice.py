"""The office on the fake Telegram: groups bound, people invited, a whistle helper."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.faketg import Actor, FakeTelegram
from bot.faketg.records import ViewMessage
from bot.simulation import Simulation
from tests.support.office import ADMIN, bind, invite

SH = ZoneInfo("Asia/Shanghai")
GRID = 3001
GROUPS = {
    "police_station_qianshan": "千山派出所工作群",
    "housing": "住建办工作群",
    "community_qianshan": "千山社区工作群",
    "fire_brigade": "消防大队工作群",
    "leading_group": "领导小组工作群",
}
# user id -> (name, invite role, target)
PEOPLE = {
    GRID: ("李某", "网格员", "梨花苑小区"),
    4001: ("周警官", "成员", "police_station_qianshan"),
    4002: ("赵某", "成员", "housing"),
    4012: ("钱某", "成员", "housing"),
    4003: ("孙某", "负责人", "community_qianshan"),
    4004: ("吴某", "成员", "fire_brigade"),
}


@dataclass
class BotOffice:
    sim: Simulation
    groups: dict[str, int] = field(default_factory=dict)
    actors: dict[int, Actor] = field(default_factory=dict)

    @property
    def tg(self) -> FakeTelegram:
        return self.sim.tg

    @property
    def coord(self) -> Actor:
        return self.actors[ADMIN]

    @property
    def grid(self) -> Actor:
        return self.actors[GRID]

    def last(self, chat_id: int) -> ViewMessage:
        return self.tg.last_message(chat_id)

    def bot_texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.tg.bot_messages(chat_id)]

    def card(self, key: str) -> ViewMessage:
        """The dispatch card in a department's group (its newest, edits applied)."""
        cards = [m for m in self.tg.bot_messages(self.groups[key]) if "消防隐患 QS-" in m.text]
        assert cards, self.tg.transcript(self.groups[key])
        return cards[-1]

    async def whistle(
        self,
        category: str = "消防通道堵塞",
        *,
        area: str = "梨花苑小区",
        location: tuple[float, float] | None = (41.1, 123.0),
        address: str | None = "3号楼东侧",
        photos: int = 2,
        description: str = "消防通道被三辆货车堵塞，已持续一天。",
        urgent: bool = True,
        submit: bool = True,
    ) -> str:
        """Walk the whole whistle conversation; returns the bot's last answer."""
        grid, me = self.grid, GRID
        await grid.send(me, "吹哨")
        await grid.press(me, category)
        await grid.press(me, area)
        if location is not None:
            await grid.send_location(me, *location)
        if address is None:
            await grid.press(me, "跳过")
        else:
            await grid.send(me, address)
        for _ in range(photos):
            await grid.send_photo(me)
        if photos < 5:
            await grid.press(me, "完成")
        await grid.send(me, description)
        await grid.press(me, "紧急" if urgent else "一般")
        if submit:
            await grid.press(me, "提交")
        return self.last(me).text


async def open_office(sim: Simulation) -> BotOffice:
    """Bind the groups and register everyone through the real commands."""
    await sim.start()
    office = BotOffice(sim=sim)
    tg = sim.tg
    coord = tg.user(ADMIN, "王", "协调")
    office.actors[ADMIN] = coord
    await coord.send(ADMIN, "/start")
    for key, title in GROUPS.items():
        office.groups[key] = await bind(sim, coord, title, key, supergroup=True)
    for uid, (name, role, target) in PEOPLE.items():
        office.actors[uid] = await invite(sim, coord, uid, name, target, role)
    return office
