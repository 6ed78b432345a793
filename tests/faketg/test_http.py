"""The fake Telegram served over HTTP, used by a real PTB Bot and a polling Application."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from faketg import FakeTelegram, FakeTelegramServer, serve
from tests.faketg.conftest import Seen, build_app

# PTB 22 warns that retry_after will become a timedelta; these tests read it as seconds.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def server(world: FakeTelegram) -> Iterator[FakeTelegramServer]:
    running = serve(world)
    yield running
    running.stop()


def http_bot(server: FakeTelegramServer, read_timeout: float = 5.0) -> Bot:
    return Bot(
        "123:ABC",
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        request=HTTPXRequest(read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(),
    )


async def test_a_real_bot_sends_and_polls_over_http(world, server):
    alice = world.user(1001, "丽", "王", started=True)
    async with http_bot(server) as bot:
        assert bot.username == "firegrid_bot"
        sent = await bot.send_message(alice.chat_id, "<b>通知</b>", parse_mode="HTML")
        assert sent.text == "通知" and sent.entities[0].type == "bold"
        await bot.send_document(alice.chat_id, io.BytesIO(b"xlsx bytes"), filename="台账.xlsx")
        assert world.document_bytes(world.last_message(alice.chat_id)) == b"xlsx bytes"
        with pytest.raises(BadRequest, match=r"^Message is too long$"):
            await bot.send_message(alice.chat_id, "长" * 4097)

        await alice.send(alice.chat_id, "/start code123")
        updates = await bot.get_updates(timeout=5)
        assert [u.message.text for u in updates] == ["/start code123"]
        assert updates[0].message.entities[0].type == "bot_command"
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_faults_over_http(world, server):
    alice = world.user(1001, "丽", "王", started=True)
    async with http_bot(server, read_timeout=0.3) as bot:
        world.faults.rate_limit(4, method="sendMessage")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(alice.chat_id, "x")
        assert caught.value.retry_after == 4
        world.faults.server_error(method="sendMessage")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(alice.chat_id, "x")
        world.faults.network_error(method="sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(alice.chat_id, "x")
        server.hang_seconds = 2.0  # longer than the client's 0.3 s read timeout
        world.faults.timeout(method="sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(alice.chat_id, "x")
        await bot.send_message(alice.chat_id, "恢复")
        assert [m.text for m in world.bot_messages(alice.chat_id)] == ["恢复"]


async def test_a_polling_application_over_http(world, server):
    """What the subprocess tests rely on: a real Application polling the HTTP fake."""
    seen = Seen()
    app = build_app(world, seen, server=server)
    alice = world.user(1001, "丽", "王")
    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            await alice.send(alice.chat_id, "/echo 远程")
            await world.wait_until(lambda: world.count_messages(alice.chat_id, from_bot=True) == 1)
            answer = await alice.press(alice.chat_id, "确认")  # waits for the bot's answer
            assert answer is not None and answer.text == "已收到，谢谢"
            await world.wait_until(lambda: world.last_message(alice.chat_id).text == "已确认")
        finally:
            await app.updater.stop()
            await app.stop()
    world.check()


async def test_control_api_for_other_processes(world, server):
    base = f"http://127.0.0.1:{server.port}/control"
    async with httpx.AsyncClient() as client:
        await client.post(f"{base}/users", json={"id": 2001, "first_name": "网格员"})
        group = (await client.post(f"{base}/groups", json={"title": "社区群"})).json()["chat_id"]
        await client.post(f"{base}/send", json={"user_id": 2001, "chat_id": group, "text": "/help"})
        messages = (await client.get(f"{base}/messages", params={"chat_id": group})).json()
        assert [m["text"] for m in messages] == ["/help"]
        await client.post(f"{base}/outage", json={"on": True})
        assert world.faults.in_outage
        await client.delete(f"{base}/faults")
        assert not world.faults.in_outage
    assert [u["message"]["text"] for u in world.pending_updates()] == ["/help"]
