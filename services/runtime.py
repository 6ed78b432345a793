"""What every use case needs at hand: the database, the org file, the clock, the time zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.forms import FormsFile
from models.orgfile import OrgFile
from services.clock import Clock
from services.workdays import WorkdayCalendar


@dataclass
class Runtime:
    """Assembled once by bot/ and handed to handlers and jobs."""

    sessions: async_sessionmaker[AsyncSession]
    org: OrgFile
    clock: Clock
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    admin_ids: tuple[int, ...] = ()
    invite_ttl: timedelta = timedelta(days=7)
    bot_username: str = "firegrid_bot"
    org_dir: str = "."
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar.build)
    forms: FormsFile = field(default_factory=FormsFile)

    def now(self) -> datetime:
        return self.clock.now()

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session
