"""Reminder rules in the org file: mistakes named with their line, texts, typed dates."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import DEFAULT_ORG
from models.reminder_rules import ReminderKind
from models.schedule import LeadUnit
from services.errors import Refusal
from services.orgconfig import OrgFileError, parse_org
from services.reminders.dates import parse_day
from services.reminders.rules import lead_code, rules_of, target_keys
from services.reminders.texts import Due, reminder_text

EXAMPLE = DEFAULT_ORG.read_text(encoding="utf-8")
RULE = """  - key: extra_rule
    name: 测试规则
    departments: [{departments}]
    when: {when}
    text: "{text}"
"""


def with_rule(
    when: str = "每月第一个工作日 09:00", departments: str = "housing", **extra: str
) -> str:
    """The example org file with one more rule appended to its reminders."""
    rule = RULE.format(
        when=when, departments=departments, text=extra.pop("text", "请于{period}完成。")
    )
    rule += "".join(f"    {key}: {value}\n" for key, value in extra.items())
    anchor = "\n# Report forms live in a file beside this one."
    assert EXAMPLE.count(anchor) == 1
    return EXAMPLE.replace(anchor, rule + anchor)


def line_of(source: str, needle: str) -> int:
    return source.splitlines().index(needle) + 1


def test_the_shipped_rules_compile() -> None:
    org = parse_org(EXAMPLE, "org.example.yaml")
    rules = {r.key: r for r in rules_of(org)}
    assert len(rules) == 11
    joint = rules["joint_meeting"]
    assert joint.kind is ReminderKind.MEETING and joint.schedule.at == time(16, 0)
    assert [(lead.unit, lead.amount) for lead in joint.leads] == [
        (LeadUnit.WORKDAYS, 2),
        (LeadUnit.DAYS, 0),
    ]
    assert joint.grace == timedelta(hours=12)
    assert target_keys(org, rules["grid_weekly_patrol"].spec) == [
        "community_qianshan",
        "community_lihua",
        "community_tanggangzi",
    ]


@pytest.mark.parametrize(
    ("source_args", "line_needle", "message"),
    [
        ({"when": "每月32日 09:00"}, "    when: 每月32日 09:00", "日期须在1至31日之间"),
        ({"when": "每月第一个工作日"}, "    when: 每月第一个工作日", "缺少时间"),
        ({"when": "每天 09:00"}, "    when: 每天 09:00", "可用的写法"),
        ({"lead": "[5周]"}, "    lead: [5周]", "可用的提前量"),
        ({"departments": "nobody"}, "    departments: [nobody]", "既不是部门代码也不是部门类别"),
        ({"departments": "property_firm"}, "    departments: [property_firm]", "没有类别为"),
        ({"grace": "soon"}, "    grace: soon", "补发时限"),
        ({"text": "请于{month}完成"}, '    text: "请于{month}完成"', "未知的占位符 {month}"),
        ({"kind": "party"}, "    kind: party", "meeting"),
    ],
)
def test_mistakes_are_named_with_their_line(
    source_args: dict[str, str], line_needle: str, message: str
) -> None:
    source = with_rule(**source_args)
    with pytest.raises(OrgFileError) as info:
        parse_org(source, "org.yaml")
    text = str(info.value)
    assert text.startswith(f"org.yaml:{line_of(source, line_needle)}: reminders[11]"), text
    assert message in text


def test_duplicate_rule_key() -> None:
    source = with_rule().replace("key: extra_rule", "key: joint_meeting")
    with pytest.raises(OrgFileError, match=r"reminders\[11\]\.key: 规则代码 'joint_meeting' 重复"):
        parse_org(source, "org.yaml")


def test_a_deadline_may_leave_out_the_time_and_a_fixed_date_may_be_a_yaml_date() -> None:
    # Unquoted, YAML reads 2026-12-15 as a date object, not as text.
    org = parse_org(with_rule(when="2026-12-15", kind="deadline"), "org.yaml")
    extra = rules_of(org)[-1]
    assert extra.schedule.kind == "fixed" and extra.schedule.at is None


def test_reminder_text_fills_the_template_and_escapes() -> None:
    org = parse_org(with_rule(text="{department}：请于{date}{time}前完成{period}的<检查>。"), "x")
    rule = rules_of(org)[-1]
    text = reminder_text(
        rule,
        department="住建办",
        period="2026-12",
        due=Due(date(2026, 12, 1), time(9, 0)),
        lead=rule.leads[0],
    )
    assert text == (
        "【工作提醒】测试规则\n部门：住建办\n周期：2026年12月\n"
        "住建办：请于2026年12月1日（周二）09:00前完成2026年12月的&lt;检查&gt;。\n"
        "日期：2026年12月1日（周二） 09:00（今天）"
    )


def test_lead_codes_are_short_and_distinct() -> None:
    org = parse_org(with_rule(lead="[3个工作日, 1天, 2小时, 当天, 当天 08:30]"), "x")
    codes = [lead_code(lead) for lead in rules_of(org)[-1].leads]
    assert codes == ["w3", "d1", "h2", "d0", "d0@0830"]


TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "future", "expected"),
    [
        ("今天", False, (TODAY, None)),
        ("昨天", False, (date(2026, 11, 30), None)),
        ("明天 15:00", True, (date(2026, 12, 2), time(15, 0))),
        ("11月28日", False, (date(2026, 11, 28), None)),
        ("11/28", False, (date(2026, 11, 28), None)),
        ("1月5日 下午3点", True, (date(2027, 1, 5), time(15, 0))),  # the nearest 5 January
        ("2026-12-08 09:30", True, (date(2026, 12, 8), time(9, 30))),
        ("2026年12月8日", True, (date(2026, 12, 8), None)),
        ("１２月８日　１５：００", True, (date(2026, 12, 8), time(15, 0))),
    ],
)
def test_dates_typed_in_chat(text: str, future: bool, expected: tuple[date, time | None]) -> None:
    assert parse_day(text, TODAY, future=future) == expected


@pytest.mark.parametrize("text", ["2月30日", "下周", "12月8日 25:00", "", "2026-13-01"])
def test_bad_dates_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(Refusal) as info:
        parse_day(text, TODAY, future=False)
    assert "例如 12月1日、2026-12-01、12/1" in info.value.message


@given(st.text(max_size=30))
def test_random_text_never_crashes_the_date_reader(text: str) -> None:
    try:
        day, _ = parse_day(text, TODAY, future=True)
    except Refusal as refusal:
        assert "例如" in refusal.message
    else:
        assert isinstance(day, date)
