"""Serve a FakeTelegram over HTTP on 127.0.0.1, so a real `firegrid run` can poll and send.

Run it inside the test process (preferred): `server = serve(tg)` starts a thread with its own
event loop; point the bot subprocess at TELEGRAM_API_BASE_URL=server.base_url; act as people
and inject faults through the same `tg` object; `server.stop()` at the end.

Or alone: `python -m faketg.server --port 8081`, with a small JSON control API for people
and faults (see `_control`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.parser
import email.policy
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from faketg.faults import FaultKind
from faketg.params import UploadedFile
from faketg.state import FakeTelegram, Gap, NoAnswer, Reply

log = logging.getLogger(__name__)

MAX_BODY = 60 * 1024 * 1024  # above Telegram's 50 MB upload limit


@dataclass
class HttpRequest:
    """One parsed HTTP request."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool = True

    @property
    def path(self) -> str:
        """The path without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The query string as a dict."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


@dataclass
class HttpResponse:
    """One HTTP response."""

    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, data: Any) -> HttpResponse:
        """A JSON response."""
        return cls(status, json.dumps(data, ensure_ascii=False).encode("utf-8"))


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
}


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError(f"bad request line {line!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    else:
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            raise ValueError("request body too large")
        body = await reader.readexactly(length) if length else b""
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
    return HttpRequest(method.upper(), target, headers, body, keep_alive)


def parse_body(request: HttpRequest) -> tuple[dict[str, object], dict[str, UploadedFile]]:
    """Bot API parameters from a query string, a JSON, form or multipart body."""
    params: dict[str, object] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";")[0].strip().lower()
    if not request.body:
        return params, files
    if mime == "application/json":
        data = json.loads(request.body)
        if isinstance(data, dict):
            params.update(data)
    elif mime == "application/x-www-form-urlencoded":
        params.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    elif mime == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            data_bytes = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = UploadedFile(filename, data_bytes, part.get_content_type())
            else:
                charset = part.get_content_charset() or "utf-8"
                params[name] = data_bytes.decode(charset)
    return params, files


@dataclass
class FakeTelegramServer:
    """An HTTP front for one FakeTelegram, running in its own thread and event loop."""

    world: FakeTelegram
    host: str = "127.0.0.1"
    port: int = 0
    hang_seconds: float = 10.0  # how long a TIMEOUT fault holds the connection before closing
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.Server | None = None
    _connections: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        """The Bot API base URL to give the bot (TELEGRAM_API_BASE_URL)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The file download base URL."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start_async(self) -> None:
        """Start listening on the running loop."""
        self._server = await asyncio.start_server(self._serve_connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop_async(self) -> None:
        """Stop listening and drop open connections."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def start(self) -> FakeTelegramServer:
        """Run the server in a background thread; returns once it listens."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # reported to start() below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram-http", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the background server and wait for its thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                response = await self._route(request)
                if response is None:  # a NETWORK fault: drop the connection unanswered
                    break
                if response == "hang":  # a TIMEOUT fault: hold it, then drop it
                    await asyncio.sleep(self.hang_seconds)
                    break
                assert isinstance(response, HttpResponse)
                reason = _REASONS.get(response.status, "Error")
                head = (
                    f"HTTP/1.1 {response.status} {reason}\r\n"
                    f"Content-Type: {response.content_type}\r\n"
                    f"Content-Length: {len(response.body)}\r\n"
                    f"Connection: {'keep-alive' if request.keep_alive else 'close'}\r\n\r\n"
                )
                writer.write(head.encode("latin-1") + response.body)
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            log.debug("fake Telegram connection ended: %r", exc)
        except asyncio.CancelledError:
            # stop_async cancels open connections (a long poll, say). Ending normally here keeps
            # asyncio's stream callback from logging the cancellation as an unhandled error.
            log.debug("fake Telegram connection closed at shutdown")
        finally:
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()  # a cancel at shutdown may land here too
            # only now: stop_async awaits every task still in the set, so none is left pending
            # at wait_closed when the loop closes ("Task was destroyed but it is pending")
            self._connections.discard(task)

    async def _route(self, request: HttpRequest) -> HttpResponse | str | None:
        path = request.path
        if path.startswith("/file/bot"):
            data = self.world.file_bytes(path.split("/", 3)[-1])
            if data is None:
                return HttpResponse.json(
                    404, {"ok": False, "error_code": 404, "description": "Not Found"}
                )
            return HttpResponse(200, data, "application/octet-stream")
        if path.startswith("/bot"):
            segments = path.split("/")
            if len(segments) != 3 or not segments[2]:
                return HttpResponse.json(
                    404, {"ok": False, "error_code": 404, "description": "Not Found"}
                )
            try:
                params, files = parse_body(request)
            except ValueError:
                return HttpResponse.json(
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: can't parse request",
                    },
                )
            outcome = await self.world.call(segments[2], params, files)
            if isinstance(outcome, Reply):
                return HttpResponse.json(outcome.status, outcome.body)
            if isinstance(outcome, NoAnswer):
                return "hang" if outcome.kind is FaultKind.TIMEOUT else None
            assert isinstance(outcome, Gap)
            log.error("fake Telegram does not implement %s", outcome.what)
            return HttpResponse.json(
                404,
                {"ok": False, "error_code": 404, "description": f"Not Found: {outcome.what}"},
            )
        if path.startswith("/control/"):
            try:
                return await self._control(request)
            except (KeyError, TypeError, ValueError, AssertionError) as exc:
                return HttpResponse.json(400, {"ok": False, "error": repr(exc)})
        return HttpResponse.json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    async def _control(self, request: HttpRequest) -> HttpResponse:
        """A small JSON API for tests and demos in other processes.

        GET  /control/messages[?chat_id=N]   the chat views (or all messages)
        GET  /control/calls                  the Bot API call log
        POST /control/users   {id, first_name, last_name?, username?}
        POST /control/groups  {title, supergroup?, forum?}         -> {chat_id}
        POST /control/send    {user_id, chat_id, text}
        POST /control/press   {user_id, chat_id, label}            -> {answer}
        POST /control/faults  {kind, method?, chat_id?, times?, retry_after?, status?}
        POST /control/outage  {on, kind?}
        DELETE /control/faults
        """
        world = self.world
        name = request.path.removeprefix("/control/")
        body: dict[str, Any] = json.loads(request.body) if request.body else {}
        if request.method == "GET" and name == "messages":
            wanted = request.query.get("chat_id")
            views = world.chat_view(int(wanted)) if wanted else world.all_messages()
            return HttpResponse.json(200, [_view_json(v) for v in views])
        if request.method == "GET" and name == "calls":
            return HttpResponse.json(
                200,
                [{"method": c.method, "status": c.status, "error": c.error} for c in world.calls],
            )
        if request.method == "POST" and name == "users":
            world.user(
                int(body["id"]), body["first_name"], body.get("last_name"), body.get("username")
            )
            return HttpResponse.json(200, {"ok": True})
        if request.method == "POST" and name == "groups":
            chat_id = world.create_group(
                body["title"],
                supergroup=bool(body.get("supergroup")),
                forum=bool(body.get("forum")),
            )
            return HttpResponse.json(200, {"ok": True, "chat_id": chat_id})
        if request.method == "POST" and name == "send":
            view = await world.actor(int(body["user_id"])).send(int(body["chat_id"]), body["text"])
            return HttpResponse.json(200, _view_json(view))
        if request.method == "POST" and name == "press":
            actor = world.actor(int(body["user_id"]))
            answer = await actor.press(int(body["chat_id"]), body["label"])
            return HttpResponse.json(
                200,
                {
                    "answer": None
                    if answer is None
                    else {"text": answer.text, "show_alert": answer.show_alert}
                },
            )
        if request.method == "POST" and name == "faults":
            fault = world.faults.inject(
                FaultKind(body["kind"]),
                method=body.get("method"),
                chat_id=body.get("chat_id"),
                times=body.get("times", 1),
                retry_after=int(body.get("retry_after", 1)),
                status=int(body.get("status", 502)),
                description=body.get("description"),
            )
            return HttpResponse.json(200, {"ok": True, "id": fault.id})
        if request.method == "POST" and name == "outage":
            world.faults.outage(
                bool(body.get("on", True)), kind=FaultKind(body.get("kind", "network"))
            )
            return HttpResponse.json(200, {"ok": True})
        if request.method == "DELETE" and name == "faults":
            world.faults.clear()
            return HttpResponse.json(200, {"ok": True})
        return HttpResponse.json(404, {"ok": False, "error": f"no control endpoint {name}"})


def _view_json(view: Any) -> dict[str, Any]:
    return {
        "chat_id": view.chat_id,
        "message_id": view.message_id,
        "from_bot": view.from_bot,
        "text": view.text,
        "html": view.html,
        "buttons": [[list(b) for b in row] for row in view.buttons],
        "reply_to": view.reply_to,
        "document": view.document.file_name if view.document else None,
        "photo": view.photo is not None,
        "sent_at": view.sent_at.isoformat(),
    }


def serve(world: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> FakeTelegramServer:
    """Start serving `world` over HTTP in a background thread; `.base_url` is for the bot."""
    return FakeTelegramServer(world, host, port).start()


async def _serve_forever(server: FakeTelegramServer) -> None:
    await server.start_async()
    print(
        f"fake Telegram Bot API on {server.base_url} (any token; bot @{server.world.bot_username})"
    )
    print(f"control API: http://{server.host}:{server.port}/control/messages", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop_async()


def main(argv: Sequence[str] | None = None) -> None:
    """CLI: python -m faketg.server --port N."""
    parser = argparse.ArgumentParser(description="Serve a fake Telegram Bot API over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default="firegrid_bot")
    parser.add_argument("--bot-id", type=int, default=7_000_000_001)
    parser.add_argument("--enforce-limits", action="store_true", help="answer 429 like Telegram")
    args = parser.parse_args(argv)
    world = FakeTelegram(args.bot_username, args.bot_id, enforce_limits=args.enforce_limits)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(FakeTelegramServer(world, args.host, args.port)))


if __name__ == "__main__":
    main()
