"""The bot's HTTP client (PTB's HTTPXRequest, as build_application makes it) honours
HTTPS_PROXY / ALL_PROXY, checked against a tiny proxy on 127.0.0.1 (no other network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from telegram.error import NetworkError

from bot.app import BuildOptions, build_application, shutdown
from faketg import FakeTelegram, serve
from services.clock import FakeClock
from tests.web.conftest import settings_for


@dataclass
class TinyProxy:
    """An HTTP proxy: forwards absolute-form requests to `upstream`, refuses CONNECT tunnels."""

    upstream: str
    seen: list[str] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            self.seen.append(head[0])
            method, target, _ = head[0].split(" ", 2)
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            headers = dict(line.split(": ", 1) for line in head[1:] if line)
            length = int(headers.get("Content-Length", headers.get("content-length", "0")))
            body = await reader.readexactly(length) if length else b""
            async with httpx.AsyncClient(trust_env=False) as client:
                answer = await client.request(
                    method,
                    self.upstream + urlsplit(target).path,
                    content=body,
                    headers={"Content-Type": headers.get("Content-Type", "application/json")},
                )
            writer.write(
                f"HTTP/1.1 {answer.status_code} OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(answer.content)}\r\nConnection: close\r\n\r\n".encode()
                + answer.content
            )
        finally:
            await writer.drain()
            writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[TinyProxy, FakeTelegram]]:
    tg = FakeTelegram()
    server = serve(tg)
    tiny = TinyProxy(upstream=server.base_url.removesuffix("/bot"))
    listening = await asyncio.start_server(tiny.handle, "127.0.0.1", 0)
    tiny.port = listening.sockets[0].getsockname()[1]
    try:
        yield tiny, tg
    finally:
        listening.close()
        await listening.wait_closed()
        server.stop()


def clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv(key.lower(), raising=False)


async def test_all_proxy_carries_the_bot_api_calls(
    proxy, sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    tiny, tg = proxy
    clear_proxy_env(monkeypatch)
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{tiny.port}")
    # A host only the proxy knows: the call can only succeed through it.
    settings = settings_for(sqlite_url, telegram_api_base_url="http://telegram.invalid/bot")
    app = build_application(
        settings, BuildOptions(clock=clock, rate_limiter=False, scheduler=False, migrate=False)
    )
    async with app:
        me = await app.bot.get_me()
    await shutdown(app)
    assert me.username == tg.bot.username
    assert any(line.startswith("POST http://telegram.invalid/bot") for line in tiny.seen)
    assert all("getMe" in line or "getme" in line.lower() for line in tiny.seen)


async def test_https_proxy_is_asked_for_a_tunnel_to_telegram(
    proxy, sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    tiny, _ = proxy
    clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{tiny.port}")
    settings = settings_for(sqlite_url)  # Telegram's own https://api.telegram.org/bot
    app = build_application(
        settings, BuildOptions(clock=clock, rate_limiter=False, scheduler=False, migrate=False)
    )
    with pytest.raises(NetworkError):
        await app.initialize()  # getMe: the tiny proxy refuses the tunnel, nothing leaves
    await app.shutdown()
    await shutdown(app)
    assert tiny.seen and tiny.seen[0].startswith("CONNECT api.telegram.org:443 ")
