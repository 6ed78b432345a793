"""Flood control per person: what one person may ask of the bot, judged at the door.

The numbers come from the org file's `flood:` block (models/orgfile.py FloodSpec):
- an **unregistered** person gets one answer per `stranger_answer_minutes` (the handlers'
  usual polite answer) and is otherwise ignored; an invitation (`/start <code>`) always passes;
- a **registered** person may send `updates_per_minute` messages and presses in a minute; the
  next one gets "操作过于频繁，请稍后再试" once and the rest are ignored until the minute passes;
- an **album** (one media_group_id) counts once: its photos share the first one's verdict;
- **whistles** per grid worker per hour are capped by `whistle_cap` below, counted from the
  cases in the database (that cap must hold across restarts).

`FloodGate` keeps its counters in this process's memory, on purpose: judging an update must
cost no database statement (a flood is thousands of them), a restart forgets at most one
window, and with several processes each holds a person to its own budget. Whether a person is
registered is looked up once and kept for `REGISTRATION_TTL`. Time is passed in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case
from models.dto import PersonInfo
from models.enums import Role
from models.orgfile import FloodSpec
from services.outbox import Outgoing, enqueue_to_coordinators

TOO_FAST = "操作过于频繁，请稍后再试。"
REGISTRATION_TTL = timedelta(minutes=5)
MINUTE = timedelta(minutes=1)
MAX_PEOPLE = 20_000  # people remembered at once; the idle ones are forgotten first


class Verdict(enum.StrEnum):
    PASS = "pass"  # handle it as usual
    WARN = "warn"  # answer "too fast" once, handle nothing
    IGNORE = "ignore"  # nothing at all


@dataclass
class _Person:
    registered: bool | None = None
    checked_at: datetime | None = None
    window_start: datetime | None = None
    count: int = 0
    album: str | None = None
    album_verdict: Verdict = Verdict.PASS


class FloodGate:
    """Per-person counters of one process (see the module docstring for why in memory)."""

    def __init__(self, spec: FloodSpec) -> None:
        self.spec = spec
        self._people: dict[int, _Person] = {}
        self.ignored = 0

    def _person(self, user_id: int, now: datetime) -> _Person:
        person = self._people.get(user_id)
        if person is None:
            if len(self._people) >= MAX_PEOPLE:
                self._forget_idle(now)
            person = self._people[user_id] = _Person()
        return person

    def _forget_idle(self, now: datetime) -> None:
        horizon = now - max(REGISTRATION_TTL, timedelta(minutes=self.spec.stranger_answer_minutes))
        idle = [
            uid
            for uid, p in self._people.items()
            if p.window_start is None or p.window_start < horizon
        ]
        for uid in idle[: max(1, len(idle))]:
            del self._people[uid]

    def needs_lookup(self, user_id: int, now: datetime) -> bool:
        """Whether the gate must be told (`learn`) if this person is registered."""
        person = self._people.get(user_id)
        return (
            person is None
            or person.registered is None
            or person.checked_at is None
            or now - person.checked_at >= REGISTRATION_TTL
        )

    def learn(self, user_id: int, registered: bool, now: datetime) -> None:
        person = self._person(user_id, now)
        if person.registered is not None and person.registered != registered:
            person.window_start, person.count = None, 0  # a new kind of budget starts afresh
        person.registered, person.checked_at = registered, now

    def forget(self, user_id: int) -> None:
        """After an invitation is redeemed: look the person up again next time."""
        person = self._people.get(user_id)
        if person is not None:
            person.registered = None

    def settled(self, user_id: int, now: datetime, *, album: str | None = None) -> bool:
        """Whether this update is certainly ignored, judged from memory alone (the update
        processor asks before PTB builds a context): counted as ignored if so."""
        person = self._people.get(user_id)
        if person is None or self.needs_lookup(user_id, now) or person.window_start is None:
            return False
        if album is not None and album == person.album:
            ignored = person.album_verdict is Verdict.IGNORE
        else:
            stranger = person.registered is False
            window = timedelta(minutes=self.spec.stranger_answer_minutes) if stranger else MINUTE
            told = 1 if stranger else self.spec.updates_per_minute + 1
            ignored = now - person.window_start < window and person.count >= told
            if ignored:
                person.count += 1
                if album is not None:
                    person.album, person.album_verdict = album, Verdict.IGNORE
        if ignored:
            self.ignored += 1
        return ignored

    def admit(self, user_id: int, now: datetime, *, album: str | None = None) -> Verdict:
        """Count one message or press of this person (registered or not, as learnt)."""
        person = self._person(user_id, now)
        if album is not None and album == person.album:
            return person.album_verdict
        stranger = person.registered is False
        window = timedelta(minutes=self.spec.stranger_answer_minutes) if stranger else MINUTE
        if person.window_start is None or now - person.window_start >= window:
            person.window_start, person.count = now, 0
        person.count += 1
        allowed = 1 if stranger else self.spec.updates_per_minute
        if person.count <= allowed:
            verdict = Verdict.PASS
        elif person.count == allowed + 1 and not stranger:
            verdict = Verdict.WARN
        else:
            verdict = Verdict.IGNORE
            self.ignored += 1
        if album is not None:
            person.album, person.album_verdict = album, verdict
        return verdict


@dataclass(frozen=True)
class WhistleCap:
    """A grid worker reached the hourly cap: what to tell them and the coordinators."""

    count: int
    refusal: str
    notice: str
    dedupe_key: str


async def whistle_cap(
    session: AsyncSession, spec: FloodSpec, actor: PersonInfo, now: datetime
) -> WhistleCap | None:
    """The cap this grid worker has reached, counted from the cases of the last hour; None
    when another whistle is allowed (only grid workers are capped)."""
    if actor.role != Role.GRID_WORKER:
        return None
    since = now - timedelta(hours=1)
    count = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.reporter_id == actor.id, Case.created_at > since)
    )
    if (count or 0) < spec.whistles_per_hour:
        return None
    oldest = await session.scalar(
        select(func.min(Case.created_at)).where(
            Case.reporter_id == actor.id, Case.created_at > since
        )
    )
    window = (oldest or now).strftime("%Y%m%d%H%M%S")
    return WhistleCap(
        count=count or 0,
        refusal=(
            f"您在1小时内已上报{count}条隐患，已达上限（每小时{spec.whistles_per_hour}条），"
            "本条未提交。请稍后再报；情况紧急请直接联系协调员或拨打119。"
        ),
        notice=(
            f"【吹哨限流】网格员{actor.display_name}在1小时内已上报{count}条隐患，达到每小时"
            f"{spec.whistles_per_hour}条的上限，其后的上报暂未受理。如属实情，请与其联系。"
        ),
        dedupe_key=f"flood:whistle:{actor.id}:{window}",
    )


async def whistle_cap_refusal(
    session: AsyncSession, spec: FloodSpec, actor: PersonInfo, now: datetime
) -> str | None:
    """None when this grid worker may whistle; else the refusal, the coordinators being told
    (once per window) in the same transaction, which the caller commits."""
    cap = await whistle_cap(session, spec, actor, now)
    if cap is None:
        return None
    await enqueue_to_coordinators(
        session, Outgoing(text=cap.notice), now=now, dedupe_key=cap.dedupe_key
    )
    return cap.refusal
