"""QA: the demo transcript shows each chat once, even when the reading order names it twice."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from faketg import FakeTelegram
from sim.transcript import render_all


async def test_each_chat_is_rendered_once():
    tg = FakeTelegram()
    coordinator = tg.user(1001, "王", "协调")
    await coordinator.send(1001, "/start")
    text = render_all(tg, ZoneInfo("Asia/Shanghai"), [1001, 1001])
    assert text.count("私聊：王 协调") == 1, text
