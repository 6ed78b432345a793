"""What the case use cases read besides the database: the org file, the workday calendar, the zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from models.orgfile import OrgFile
from services.cases.ladder import FALLBACK_NORMAL, FALLBACK_URGENT, Ladder
from services.runtime import Runtime
from services.workdays import WorkdayCalendar

# The reporter has this long to verify (核查) before the coordinators are asked instead.
VERIFY_WITHIN = timedelta(days=3)
# An open case of the same category in the same area younger than this is offered as a duplicate.
DUPLICATE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class CaseEnv:
    """The org file, the workday calendar and the office's time zone."""

    org: OrgFile
    calendar: WorkdayCalendar
    tz: ZoneInfo

    @classmethod
    def of(cls, rt: Runtime) -> CaseEnv:
        return cls(org=rt.org, calendar=rt.calendar, tz=rt.tz)

    def ladder_key(self, category_key: str, urgent: bool) -> str:
        """The ladder a new dispatch of this category follows."""
        category = self.org.category(category_key)
        if category is None:
            return "urgent" if urgent else "normal"
        return category.urgent_ladder if urgent else category.ladder

    def ladder(self, key: str, urgent: bool) -> Ladder:
        """The ladder by key; a key the org file no longer has falls back to the defaults."""
        spec = self.org.ladders.get(key) or (FALLBACK_URGENT if urgent else FALLBACK_NORMAL)
        return Ladder.from_spec(spec, self.calendar, self.tz, urgent=urgent)
