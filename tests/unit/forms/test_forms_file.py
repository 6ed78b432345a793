"""The forms file: the shipped example loads, and mistakes name the line, form and question."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.forms import GroupQuestion, PhotosQuestion
from services.forms.config import (
    FormsFileError,
    check_forms_against_org,
    departments_owing,
    forms_for,
    load_forms,
    parse_forms,
)
from services.orgconfig import load_org

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def shipped():
    return load_forms(ROOT / "forms.example.yaml")


def test_shipped_forms_load_and_keys_are_unique(shipped):
    keys = [f.key for f in shipped.forms]
    assert keys == [
        "brigade_guidance",
        "community_duties",
        "police_monthly",
        "housing_monthly",
        "social_affairs_monthly",
        "joint_enforcement",
        "highlights",
    ]
    for f in shipped.forms:
        top = [q.key for q in f.questions]
        assert len(top) == len(set(top)), f.key
        for q in f.questions:
            if isinstance(q, GroupQuestion):
                subs = [s.key for s in q.questions]
                assert len(subs) == len(set(subs)), (f.key, q.key)
        assert f.deadline == "每月25日（非工作日提前）"


def test_shipped_forms_have_a_group_and_photos(shipped):
    questions = [q for f in shipped.forms for q in f.questions]
    assert any(isinstance(q, GroupQuestion) for q in questions)
    assert any(isinstance(q, PhotosQuestion) for q in questions)
    assert shipped.form("highlights").required is False


def test_shipped_forms_match_the_shipped_org(shipped):
    org = load_org(ROOT / "org.example.yaml")
    check_forms_against_org(shipped, org, "forms.example.yaml")
    assert departments_owing("community_duties", shipped, org) == [
        "community_qianshan",
        "community_lihua",
        "community_tanggangzi",
    ]
    assert departments_owing("police_monthly", shipped, org) == ["police_bureau"]
    assert forms_for("fire_brigade", "fire_brigade", shipped) == ["brigade_guidance", "highlights"]
    assert forms_for("coordinator_office", "coordinator", shipped) == ["joint_enforcement"]
    assert forms_for("leading_group", "leading_group", shipped) == []


HEAD = "forms:\n  - key: monthly\n    title: 月报\n    filled_by: {kinds: [community]}\n    questions:\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "      - key: n\n        type: integer\n        label: 次数\n        min: 5\n"
            "        max: 2\n",
            "f.yaml:6: form 'monthly', question 'n': max (2) must not be below min (5)",
        ),
        (
            "      - key: g\n        type: group\n        label: 会议\n        questions:\n"
            "          - key: t\n            type: text\n            label: 议题\n"
            "            max_length: 5000\n",
            "f.yaml:13: form 'monthly', question 'g.t', field 'max_length': "
            "Input should be less than or equal to 1000",
        ),
        (
            "      - key: a\n        type: yes_no\n        label: 甲\n"
            "      - key: a\n        type: yes_no\n        label: 乙\n",
            "f.yaml:2: form 'monthly': question key 'a' appears twice",
        ),
        (
            "      - key: c\n        type: single_choice\n        label: 选\n        options: [甲]\n",
            "f.yaml:9: form 'monthly', question 'c', field 'options': "
            "List should have at least 2 items after validation, not 1",
        ),
        (
            "      - key: x\n        type: slider\n        label: 滑块\n",
            "f.yaml:6: form 'monthly', question 'x': Input tag 'slider' found using 'type' "
            "does not match any of the expected tags: 'integer', 'yes_no', 'date', "
            "'single_choice', 'multi_choice', 'text', 'photos', 'group'",
        ),
    ],
)
def test_mistakes_name_line_form_and_question(body, message):
    with pytest.raises(FormsFileError) as caught:
        parse_forms(HEAD + body, "f.yaml")
    assert str(caught.value) == message


def test_unknown_department_is_named(shipped):
    org = load_org(ROOT / "org.example.yaml")
    bad = parse_forms(
        "forms:\n  - key: m\n    title: 月报\n    filled_by: {departments: [nowhere]}\n"
        "    questions:\n      - {key: a, type: yes_no, label: 甲}\n",
        "f.yaml",
    )
    with pytest.raises(
        FormsFileError, match=r"form 'm', filled_by\.departments: unknown department"
    ):
        check_forms_against_org(bad, org, "f.yaml")


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(FormsFileError, match=r"^f.yaml:3: YAML syntax error"):
        parse_forms("forms:\n  - key: a\n   title: [b\n", "f.yaml")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "    deadline: 每月32日\n",
            "f.yaml:4: form 'monthly', field 'deadline': cannot read '每月32日'",
        ),
        (
            "    deadline: 每周一\n",
            "f.yaml:4: form 'monthly', field 'deadline': a monthly form needs a monthly deadline",
        ),
        (
            "    remind: [3个星期]\n",
            "f.yaml:4: form 'monthly', field 'remind': cannot read '3个星期'",
        ),
    ],
)
def test_deadline_and_reminder_wording_is_checked(extra, message):
    text = (
        "forms:\n  - key: monthly\n    title: 月报\n"
        + extra
        + "    filled_by: {kinds: [community]}\n"
        "    questions:\n      - {key: a, type: yes_no, label: 甲}\n"
    )
    with pytest.raises(FormsFileError) as caught:
        parse_forms(text, "f.yaml")
    assert str(caught.value).startswith(message)
