"""What coordinators read when a group or a person cannot be reached (second QA round)."""

from __future__ import annotations

from tests.delivery.support import ADMIN, World


async def test_the_unreachable_notice_comes_before_the_forwarded_pings(world: World):
    """The coordinator first learns why, then reads the department's forwarded messages."""
    w = world
    housing = w.tg.create_group("住建办工作群")
    await w.bind("housing", housing, "住建办工作群")
    await w.to_department("housing", "【催办】请住建办报到")
    await w.tg.remove_bot(housing, by=w.admin)
    await w.drain()

    heads = [t.split("\n", 1)[0][:6] for t in w.texts(ADMIN)]
    assert heads == ["【送达异常】", "【转送】住建"]
