"""/digest reads months as people write them, like /status and /reports."""

import pytest

from handlers.digest import parse_month
from models.period import MonthPeriod
from services.errors import Refusal

DEC = MonthPeriod(year=2026, month=12)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], DEC),
        (["本月"], DEC),
        (["上月"], MonthPeriod(year=2026, month=11)),
        (["2026-11"], MonthPeriod(year=2026, month=11)),
        (["2026年10月"], MonthPeriod(year=2026, month=10)),
    ],
)
def test_months(args, expected):
    assert parse_month(args, DEC) == expected


def test_future_and_nonsense_are_refused():
    with pytest.raises(Refusal, match="尚未开始"):
        parse_month(["2027-01"], DEC)
    with pytest.raises(Refusal, match="月份格式不正确"):
        parse_month(["下个月"], DEC)
