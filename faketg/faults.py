"""Failure injection: make the fake Bot API answer 429, 5xx, 403, time out or drop connections."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from faketg.errors import ApiError

# The methods that put a new message into a chat.
SEND_METHODS: frozenset[str] = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation"}
)

KICKED_FROM_GROUP = "Forbidden: bot was kicked from the group chat"
KICKED_FROM_SUPERGROUP = "Forbidden: bot was kicked from the supergroup chat"
BLOCKED_BY_USER = "Forbidden: bot was blocked by the user"
NOT_STARTED = "Forbidden: bot can't initiate conversation with a user"


class FaultKind(StrEnum):
    """How a call fails."""

    RATE_LIMIT = "rate_limit"  # 429 Too Many Requests with parameters.retry_after
    SERVER_ERROR = "server_error"  # 5xx, 502 Bad Gateway by default
    TIMEOUT = "timeout"  # no answer in time: telegram.error.TimedOut in-process
    NETWORK = "network"  # connection fails: telegram.error.NetworkError in-process
    FORBIDDEN = "forbidden"  # 403 with a description
    BAD_REQUEST = "bad_request"  # 400 with a description


@dataclass
class Fault:
    """One injected failure rule; `remaining=None` means until removed."""

    id: int
    kind: FaultKind
    methods: frozenset[str] | None
    chat_id: int | None
    remaining: int | None
    retry_after: int = 1
    status: int = 502
    description: str | None = None
    delivered: bool = False
    is_outage: bool = False
    hits: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Whether this rule applies to a call of `method` (lower case) for `chat_id`."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError | None:
        """The Bot API error answer, or None for faults that give no answer at all."""
        if self.kind is FaultKind.RATE_LIMIT:
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.kind is FaultKind.SERVER_ERROR:
            try:
                phrase = HTTPStatus(self.status).phrase
            except ValueError:
                phrase = "Server Error"
            return ApiError(self.status, self.description or phrase)
        if self.kind is FaultKind.FORBIDDEN:
            return ApiError(403, self.description or KICKED_FROM_GROUP)
        if self.kind is FaultKind.BAD_REQUEST:
            return ApiError(400, self.description or "Bad Request")
        return None


@dataclass(frozen=True)
class FaultHit:
    """A call that an injected fault made fail."""

    fault_id: int
    kind: FaultKind
    method: str
    chat_id: int | None


def _method_set(method: str | Iterable[str] | None) -> frozenset[str] | None:
    if method is None:
        return None
    names = [method] if isinstance(method, str) else list(method)
    return frozenset(name.lower() for name in names)


@dataclass
class Faults:
    """The failure rules of one fake Telegram; tests add and clear them at any time.

    `method` filters by Bot API method name (a name, several names, or SEND_METHODS);
    `chat_id` by the call's chat_id; `times` is how many calls fail (None: until cleared).
    `delivered=True` (timeouts, network errors, 5xx) makes the call take effect before its
    answer is lost, as when Telegram sent the message but the reply never reached the bot.
    """

    lock: threading.RLock = field(default_factory=threading.RLock)
    hits: list[FaultHit] = field(default_factory=list)
    _rules: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def inject(
        self,
        kind: FaultKind,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        retry_after: int = 1,
        status: int = 502,
        description: str | None = None,
        delivered: bool = False,
    ) -> Fault:
        """Add a failure rule; the newest matching rule wins."""
        if delivered and kind not in (
            FaultKind.TIMEOUT,
            FaultKind.NETWORK,
            FaultKind.SERVER_ERROR,
        ):
            raise ValueError(f"a {kind} answer means Telegram did not perform the call")
        with self.lock:
            fault = Fault(
                id=next(self._ids),
                kind=kind,
                methods=_method_set(method),
                chat_id=chat_id,
                remaining=times,
                retry_after=retry_after,
                status=status,
                description=description,
                delivered=delivered,
            )
            self._rules.append(fault)
            return fault

    def rate_limit(
        self,
        retry_after: int = 1,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer 429 Too Many Requests with `parameters.retry_after`."""
        return self.inject(
            FaultKind.RATE_LIMIT,
            method=method,
            chat_id=chat_id,
            times=times,
            retry_after=retry_after,
        )

    def server_error(
        self,
        status: int = 502,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        delivered: bool = False,
    ) -> Fault:
        """Answer a 5xx (502 Bad Gateway by default)."""
        return self.inject(
            FaultKind.SERVER_ERROR,
            method=method,
            chat_id=chat_id,
            times=times,
            status=status,
            delivered=delivered,
        )

    def timeout(
        self,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        delivered: bool = False,
    ) -> Fault:
        """Give no answer in time (TimedOut in-process; a held connection over HTTP)."""
        return self.inject(
            FaultKind.TIMEOUT, method=method, chat_id=chat_id, times=times, delivered=delivered
        )

    def network_error(
        self,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        delivered: bool = False,
    ) -> Fault:
        """Fail the connection (NetworkError in-process; a closed connection over HTTP)."""
        return self.inject(
            FaultKind.NETWORK, method=method, chat_id=chat_id, times=times, delivered=delivered
        )

    def forbidden(
        self,
        description: str = KICKED_FROM_GROUP,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = None,
    ) -> Fault:
        """Answer 403 (kicked from the group by default; see BLOCKED_BY_USER)."""
        return self.inject(
            FaultKind.FORBIDDEN,
            method=method,
            chat_id=chat_id,
            times=times,
            description=description,
        )

    def bad_request(
        self,
        description: str,
        *,
        method: str | Iterable[str] | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer 400 with this description (give the full "Bad Request: ..." text)."""
        return self.inject(
            FaultKind.BAD_REQUEST,
            method=method,
            chat_id=chat_id,
            times=times,
            description=description,
        )

    def outage(
        self,
        on: bool = True,
        *,
        kind: FaultKind = FaultKind.NETWORK,
        status: int = 502,
    ) -> None:
        """Switch a whole-API outage on (every call fails with `kind`) or off."""
        with self.lock:
            self._rules = [rule for rule in self._rules if not rule.is_outage]
            if on:
                self._rules.append(
                    Fault(
                        id=next(self._ids),
                        kind=kind,
                        methods=None,
                        chat_id=None,
                        remaining=None,
                        status=status,
                        is_outage=True,
                    )
                )

    @property
    def in_outage(self) -> bool:
        """Whether an outage is on."""
        with self.lock:
            return any(rule.is_outage for rule in self._rules)

    def remove(self, fault: Fault) -> None:
        """Remove one rule."""
        with self.lock:
            self._rules = [rule for rule in self._rules if rule.id != fault.id]

    def clear(self) -> None:
        """Remove every rule (and end an outage)."""
        with self.lock:
            self._rules.clear()

    def match(self, method: str, chat_id: int | None) -> Fault | None:
        """The rule that fails this call, if any; counts the hit."""
        with self.lock:
            for rule in reversed(self._rules):
                if rule.matches(method, chat_id):
                    rule.hits += 1
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self.hits.append(FaultHit(rule.id, rule.kind, method, chat_id))
                    return rule
            return None

    def describe(self) -> list[dict[str, Any]]:
        """The active rules, for the control API."""
        with self.lock:
            return [
                {
                    "id": rule.id,
                    "kind": rule.kind.value,
                    "methods": sorted(rule.methods) if rule.methods else None,
                    "chat_id": rule.chat_id,
                    "remaining": rule.remaining,
                    "hits": rule.hits,
                }
                for rule in self._rules
                if rule.remaining is None or rule.remaining > 0
            ]
