"""`firegrid run`'s two modes on the real Application: polling (409 policy) and webhook."""

from __future__ import annotations

import asyncio
import logging
import re
import socket

import httpx
import pytest

from bot.cli import main
from bot.run import serve
from bot.settings import ConfigError
from bot.web.webhook import SECRET_HEADER
from faketg import FakeTelegram
from services.clock import FakeClock
from sim.simulation import FAKE_TOKEN
from tests.web.conftest import HOOK_URL, SECRET, build, settings_for


async def test_polling_deletes_a_webhook_first_then_polls(sqlite_url: str, clock: FakeClock):
    tg = FakeTelegram()
    await tg.call("setWebhook", {"url": "https://old.example.org/telegram/x"})
    settings = settings_for(sqlite_url)
    stop = asyncio.Event()
    running = asyncio.create_task(serve(build(tg, settings, clock), settings, stop))
    await tg.wait_until(lambda: tg.polling, timeout=10)
    stop.set()
    assert await running == 0
    methods = [c.method for c in tg.calls if c.method in ("deleteWebhook", "getUpdates")]
    assert methods[0] == "deleteWebhook" and "getUpdates" in methods
    assert tg.webhook is None
    assert all(c.status == 200 for c in tg.calls_to("getUpdates"))


async def test_a_second_poller_on_the_token_stops_the_bot_with_one_line_and_exit_2(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    tg = FakeTelegram()
    settings = settings_for(sqlite_url)
    running = asyncio.create_task(serve(build(tg, settings, clock), settings, asyncio.Event()))
    await tg.wait_until(lambda: tg.polling, timeout=10)
    with caplog.at_level(logging.INFO, logger="firegrid"):
        await tg.call("getUpdates", {"timeout": 0})  # another process polls the same token
        assert await asyncio.wait_for(running, 10) == 2
    conflict = [r for r in caplog.records if "409" in r.getMessage()]
    assert len(conflict) == 1
    assert "another process polls this token" in conflict[0].getMessage()
    assert "\n" not in conflict[0].getMessage() and conflict[0].exc_info is None


def served_port(caplog: pytest.LogCaptureFixture) -> int | None:
    for record in caplog.records:
        found = re.search(r"^serving .* on 127\.0\.0\.1:(\d+)$", record.getMessage())
        if found:
            return int(found.group(1))
    return None


async def test_webhook_mode_sets_the_webhook_and_serves_it_over_http(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    tg = FakeTelegram()
    settings = settings_for(
        sqlite_url, firegrid_webhook_url=HOOK_URL, firegrid_webhook_secret=SECRET
    )
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="firegrid")
    running = asyncio.create_task(serve(build(tg, settings, clock), settings, stop))
    await tg.wait_until(lambda: tg.webhook is not None and served_port(caplog), timeout=10)
    port = served_port(caplog)
    person = tg.user(1001, "丽", "王")
    await person.send(person.chat_id, "/whoami")
    update = tg.pending_updates()[-1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        assert (await client.get("/healthz")).status_code == 200
        posted = await client.post(
            "/telegram/firegrid-hook", json=update, headers={SECRET_HEADER: SECRET}
        )
        assert posted.status_code == 200
    await tg.wait_until(lambda: tg.count_messages(1001, from_bot=True) > 0, timeout=10)
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0
    assert tg.webhook is not None
    assert tg.webhook["url"] == HOOK_URL
    assert tg.webhook["secret_token"] == SECRET
    assert "callback_query" in tg.webhook["allowed_updates"]
    assert tg.calls_to("getUpdates") == []  # no polling in webhook mode


@pytest.mark.parametrize(
    ("secret", "said"),
    [(None, "is required with FIREGRID_WEBHOOK_URL"), ("short", "too short")],
)
def test_a_webhook_without_a_proper_secret_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], secret, said
):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("FIREGRID_WEBHOOK_URL", HOOK_URL)
    if secret is None:
        monkeypatch.delenv("FIREGRID_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("FIREGRID_WEBHOOK_SECRET", secret)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and err.startswith("firegrid: FIREGRID_WEBHOOK")


def test_a_plain_http_webhook_url_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("FIREGRID_WEBHOOK_URL", "http://bot.example.org/telegram/x")
    monkeypatch.setenv("FIREGRID_WEBHOOK_SECRET", SECRET)
    assert main(["run"]) == 2
    assert "FIREGRID_WEBHOOK_URL" in capsys.readouterr().err


async def test_a_taken_address_stops_webhook_mode_but_not_polling(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    listen = f"127.0.0.1:{taken.getsockname()[1]}"
    try:
        tg = FakeTelegram()
        hook = settings_for(
            sqlite_url,
            firegrid_webhook_url=HOOK_URL,
            firegrid_webhook_secret=SECRET,
            firegrid_listen=listen,
        )
        with pytest.raises(ConfigError, match="FIREGRID_LISTEN"):
            await serve(build(tg, hook, clock), hook, asyncio.Event())

        polling = settings_for(sqlite_url, firegrid_listen=listen)
        stop = asyncio.Event()
        caplog.set_level(logging.WARNING, logger="firegrid")
        running = asyncio.create_task(serve(build(tg, polling, clock), polling, stop))
        await tg.wait_until(lambda: tg.polling, timeout=10)
        stop.set()
        assert await running == 0
        assert any("polling goes on without /healthz" in r.getMessage() for r in caplog.records)
    finally:
        taken.close()
