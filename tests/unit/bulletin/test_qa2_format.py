"""The bulletin writes durations the way the rest of the bot does (services/timefmt.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.bulletin.format import minutes_text
from services.timefmt import fmt_duration


@pytest.mark.parametrize("minutes", [0, 0.4, 5, 59, 60, 135, 24 * 60, 3 * 24 * 60 + 120])
def test_minutes_read_as_in_chat(minutes: float):
    assert minutes_text(minutes) == fmt_duration(timedelta(minutes=minutes))


def test_document_times_in_the_house_style_with_the_year_only_when_it_differs():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from services.bulletin.format import local_text

    sh = ZoneInfo("Asia/Shanghai")
    moment = datetime(2026, 12, 1, 1, 20, tzinfo=UTC)
    assert local_text(moment, sh, year=2026) == "12月1日 09:20"
    assert local_text(moment, sh, year=2027) == "2026年12月1日 09:20"
    assert local_text(None, sh, year=2026) == "—"
