"""FakeRequest: a PTB request object that talks to a FakeTelegram instead of the network."""

from __future__ import annotations

import json
from typing import IO
from urllib.parse import urlsplit

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from faketg.errors import FakeTelegramGap
from faketg.faults import FaultKind
from faketg.params import UploadedFile
from faketg.state import FakeTelegram, Gap, NoAnswer, Reply


def _read(content: bytes | IO[bytes]) -> bytes:
    return content if isinstance(content, bytes) else content.read()


class FakeRequest(BaseRequest):
    """Route PTB's Bot API calls to a FakeTelegram; no sockets are opened.

    Use one for `.request(...)` and another for `.get_updates_request(...)` of the same world.
    """

    def __init__(self, world: FakeTelegram, *, read_timeout: float | None = 5.0) -> None:
        self.world = world
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout PTB adds to getUpdates' long-poll timeout."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer like the Bot API: (HTTP status, JSON bytes), or raise TimedOut/NetworkError."""
        path = urlsplit(url).path
        if method == "GET" and "/file/bot" in path:
            data = self.world.file_bytes(path.split("/", 3)[-1])
            if data is None:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, data
        api_method = path.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        files = {}
        if request_data is not None and request_data.contains_files:
            files = {
                name: UploadedFile(filename, _read(content), mime)
                for name, (filename, content, mime) in request_data.multipart_data.items()
            }
        outcome = await self.world.call(api_method, params, files)
        if isinstance(outcome, Reply):
            return outcome.status, json.dumps(outcome.body).encode("utf-8")
        if isinstance(outcome, NoAnswer):
            if outcome.kind is FaultKind.TIMEOUT:
                raise TimedOut(f"fake Telegram: {api_method} timed out")
            raise NetworkError(f"fake Telegram: connection failed during {api_method}")
        assert isinstance(outcome, Gap)
        raise FakeTelegramGap(f"the fake Telegram does not implement {outcome.what}")
