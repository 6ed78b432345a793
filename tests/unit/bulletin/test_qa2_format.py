"""The bulletin writes durations the way the rest of the bot does (services/timefmt.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.bulletin.format import minutes_text
from services.timefmt import fmt_duration


@pytest.mark.parametrize("minutes", [0, 0.4, 5, 59, 60, 135, 24 * 60, 3 * 24 * 60 + 120])
def test_minutes_read_as_in_chat(minutes: float):
    assert minutes_text(minutes) == fmt_duration(timedelta(minutes=minutes))
