"""The org file's `reminders:` block: the office's recurring duties, as the clerk writes them.

`when` and `lead` stay text here (the grammar lives in services/schedule_rules.py); the org
loader compiles them right after validation and reports mistakes with the file line.
"""

from __future__ import annotations

import re
import string
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

RULE_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
TEMPLATE_FIELDS = ("period", "department", "date", "time")
_GRACE = re.compile(r"^\s*(\d+)\s*(h|小时|m|分钟|d|天)\s*$")
_GRACE_UNITS = {"h": "hours", "小时": "hours", "m": "minutes", "分钟": "minutes"}
_GRACE_UNITS |= {"d": "days", "天": "days"}
DEFAULT_GRACE = "12h"


class ReminderKind(StrEnum):
    """What a reminder is about; decides its wording and its buttons."""

    MEETING = "meeting"  # 已召开 / 改期 buttons; held meetings are counted by the bulletin
    TASK = "task"  # a duty to carry out in the period
    DEADLINE = "deadline"  # something due by a date


def parse_grace(text: str) -> timedelta:
    """`12h`, `30m`, `1d` (or 12小时, 30分钟, 1天) as a timedelta; ValueError otherwise."""
    match = _GRACE.match(text)
    if match is None:
        raise ValueError(f"补发时限“{text}”无效，请写如 12h、30m、1d (e.g. 12h, 30m, 1d)")
    return timedelta(**{_GRACE_UNITS[match.group(2)]: int(match.group(1))})


class ReminderRuleSpec(BaseModel):
    """One rule: who is reminded of what, when, and how long before."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=RULE_KEY_PATTERN, description="stable id, used by /remind_now")
    name: str = Field(min_length=1, max_length=30, description="short title, e.g. 月度调度会")
    kind: ReminderKind = ReminderKind.TASK
    departments: list[str] = Field(
        min_length=1, description="department keys, or kinds meaning every department of it"
    )
    when: str | date = Field(description="e.g. 每月第一个工作日 09:00")
    lead: list[str] | str | None = Field(
        default=None, description="e.g. [3个工作日, 当天]; default: 当天 (at the time itself)"
    )
    text: str = Field(min_length=1, max_length=1000, description="body; {period} etc. filled in")
    grace: str = Field(default=DEFAULT_GRACE, description="how late a missed reminder may still go")

    @field_validator("text")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError:
            raise ValueError("花括号不成对；如需显示花括号请写 {{ 或 }}") from None
        unknown = [n for n in names if n not in TEMPLATE_FIELDS]
        if unknown:
            allowed = " ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
            raise ValueError(f"未知的占位符 {{{unknown[0]}}}；可用：{allowed}")
        return value

    @field_validator("grace")
    @classmethod
    def _grace(cls, value: str) -> str:
        parse_grace(value)
        return value

    @property
    def grace_period(self) -> timedelta:
        return parse_grace(self.grace)
