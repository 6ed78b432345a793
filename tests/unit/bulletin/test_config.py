"""The org file's `bulletin:` block: defaults, YAML quirks, references checked with a line."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

from bot.settings import DEFAULT_ORG
from models.bulletin import DepartmentResponse, TalkRule
from services.bulletin.config import check_bulletin_against_forms
from services.forms.config import load_org_forms
from services.orgconfig import OrgFileError, load_org, parse_org

SOURCE = DEFAULT_ORG.read_text(encoding="utf-8")
ORG = load_org(DEFAULT_ORG)
FORMS = load_org_forms(ORG, Path(DEFAULT_ORG))


def with_bulletin(block: str) -> str:
    """The shipped org file with its bulletin block replaced."""
    head = SOURCE[: SOURCE.index("\nbulletin:")]
    return f"{head}\nbulletin:\n{block}"


def test_shipped_block():
    spec = ORG.bulletin
    assert spec.deliver_at == time(16, 0)
    assert spec.talk.describe() == "本月被升级案件2件及以上，或按时报到率低于80%"
    assert {d.reminder for d in spec.duties if d.reminder} == {
        "police_dispatch_meeting",
        "social_dispatch_meeting",
        "housing_property_meeting",
    }
    check_bulletin_against_forms(ORG, FORMS, "org.example.yaml")


def test_unquoted_time_is_read_as_a_clock_time():
    org = parse_org(with_bulletin("  deliver_at: 17:30\n"), "org.yaml")
    assert org.bulletin.deliver_at == time(17, 30)


@pytest.mark.parametrize(
    "duty, problem",
    [
        ("reminder: no_such_rule", "'no_such_rule' is not a reminder rule of kind meeting"),
        ("reminder: community_inspection", "'community_inspection' is not a reminder rule"),
    ],
)
def test_duty_must_name_a_meeting_rule(duty, problem):
    block = f"  duties:\n    - kind: meeting\n      {duty}\n"
    with pytest.raises(OrgFileError) as err:
        parse_org(with_bulletin(block), "org.yaml")
    message = str(err.value)
    assert problem in message
    line = int(re.match(r"org\.yaml:(\d+):", message).group(1))
    assert with_bulletin(block).splitlines()[line - 1].strip().startswith(("- kind", duty))


def test_duty_needs_exactly_one_source():
    block = "  duties:\n    - {kind: meeting, reminder: police_dispatch_meeting, form: x, question: y}\n"
    with pytest.raises(OrgFileError, match="give either `reminder`, or both `form` and `question`"):
        parse_org(with_bulletin(block), "org.yaml")


@pytest.mark.parametrize(
    "block, problem",
    [
        ("  duties:\n    - {kind: training, form: nope, question: x}\n", "no report form 'nope'"),
        (
            "  duties:\n    - {kind: training, form: community_duties, question: nope}\n",
            "form 'community_duties' has no question 'nope'",
        ),
        (
            "  duties:\n    - {kind: training, form: police_monthly, question: task_progress}\n",
            "'task_progress' is a text question",
        ),
        ("  highlights: [highlights.nope]\n", "'highlights.nope' names no question"),
    ],
)
def test_forms_references_are_checked(block, problem):
    org = parse_org(with_bulletin(block), "org.yaml")
    with pytest.raises(OrgFileError, match=re.escape(problem)):
        check_bulletin_against_forms(org, FORMS, "org.yaml")


def response(cases: int, on_time: int, escalations: int) -> DepartmentResponse:
    return DepartmentResponse(
        department_key="housing",
        department="住建办",
        cases=cases,
        acks=cases,
        acks_on_time=on_time,
        escalations=escalations,
    )


def test_talk_rule_names_each_figure_and_respects_the_thresholds():
    rule = TalkRule()
    assert rule.reasons(response(10, 8, 1), 0) == []  # 80.0% is not under 80%
    assert rule.reasons(response(10, 7, 2), 0) == ["本月被升级案件2件", "按时报到率70.0%"]
    assert rule.reasons(None, 3) == []  # missing reports count only when the rule says so
    strict = TalkRule(
        escalations_at_least=None,
        on_time_rate_below=Decimal("95.5"),
        min_cases_for_rate=3,
        missing_reports_at_least=1,
    )
    assert strict.describe() == "按时报到率低于95.5%，或月报未报送1份及以上"
    assert strict.reasons(response(2, 0, 9), 0) == []  # too few cases to judge a rate
    assert strict.reasons(response(3, 2, 0), 2) == ["按时报到率66.7%", "月报未报送2份"]
