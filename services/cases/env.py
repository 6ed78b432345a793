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

    def resolve_ladder(self, key: str, category_key: str, urgent: bool) -> tuple[Ladder, timedelta]:
        """The 处置 chase after 报到, and the 处置时限 (both in the case ladder's time).

        Reminders every `resolve_ping_every` before the deadline, the first escalation at the
        deadline (plus `resolve_escalate_after`), then one every `resolve_ping_every`.
        """
        base = self.ladder(key, urgent)
        rules = self.org.cases
        category = self.org.category(category_key)
        limits = (category.resolve_within if category else None) or rules.resolve_within
        within = base.span_of(limits.of(urgent))
        after = (
            base.span_of(rules.resolve_escalate_after)
            if rules.resolve_escalate_after is not None
            else timedelta(0)
        )
        every = base.span_of(rules.resolve_ping_every.of(urgent))
        chase = Ladder(
            ping_every=every, escalate_after=within + after, escalate_every=every, hours=base.hours
        )
        return chase, within

    def ladder(self, key: str, urgent: bool) -> Ladder:
        """The ladder by key; a key the org file no longer has falls back to the defaults."""
        spec = self.org.ladders.get(key) or (FALLBACK_URGENT if urgent else FALLBACK_NORMAL)
        return Ladder.from_spec(spec, self.calendar, self.tz, urgent=urgent)
