"""The case tests' office on the fake Telegram: its roster, and shortcuts to its chats."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from faketg import Actor, FakeTelegram
from faketg.records import ViewMessage
from sim.office import ADMIN, set_up, walk_whistle
from sim.simulation import Simulation

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
        await walk_whistle(
            self.grid,
            category=category,
            area=area,
            location=location,
            address=address,
            photos=photos,
            description=description,
            urgent=urgent,
            submit=submit,
        )
        return self.last(GRID).text


async def open_office(sim: Simulation) -> BotOffice:
    """Bind the groups and register everyone through the real commands."""
    await sim.start()
    coord = sim.tg.user(ADMIN, "王", "协调")
    await coord.send(ADMIN, "/start")
    groups, actors = await set_up(sim, coord, GROUPS, PEOPLE)
    return BotOffice(sim=sim, groups=groups, actors={ADMIN: coord, **actors})
