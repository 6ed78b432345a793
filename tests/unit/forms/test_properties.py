"""Random texts into every question type: never a crash, every refusal explained in Chinese."""

from __future__ import annotations

import json
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from models.period import MonthPeriod
from services.forms import flow
from services.forms.answers import Choice, Err, Ok, Photos, parse_answer
from services.forms.flow import Draft
from tests.unit.forms.helpers import form, question

CJK = re.compile(r"[\u4e00-\u9fff]")

QUESTIONS = [
    question(type="integer", unit="次", max=100),
    question(type="integer"),
    question(type="yes_no"),
    question(type="date"),
    question(type="date", allow_future=True),
    question(type="single_choice", options=["社区", "物业企业", "3"]),
    question(type="multi_choice", options=["公安", "住建", "消防"], max_selected=2),
    question(type="text", max_length=50),
    question(type="photos", max_count=3),
    question(
        type="group",
        questions=[{"key": "d", "type": "date", "label": "日期"}],
    ),
]

FULL_WIDTH_DIGITS = st.text(alphabet="０１２３４５６７８９－．月日年", max_size=12)
TRICKY = st.sampled_from(["", " ", "\x00", "\u202e", "🔥🚒", "十二", "１２次", "-0", "0.0", "今天"])
texts = st.one_of(
    st.text(),
    # 10,000-character strings: Hypothesis cannot draw that many, so a short text is repeated.
    st.text(min_size=1, max_size=30).map(lambda t: (t * (10_000 // len(t) + 1))[:10_000]),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "So", "Nd", "Zs"])),
    FULL_WIDTH_DIGITS,
    TRICKY,
    st.integers().map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
raws = st.one_of(
    texts,
    st.lists(st.integers(min_value=-3, max_value=5), max_size=5).map(lambda i: Choice(tuple(i))),
    st.lists(st.text(max_size=5), max_size=12).map(lambda f: Photos(tuple(f))),
)
periods = st.builds(MonthPeriod, st.integers(2020, 2030), st.integers(1, 12))
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31))


def check(result):
    if isinstance(result, Err):
        assert result.message.strip(), "a refusal without a message"
        assert CJK.search(result.message), result.message
        assert "\n" not in result.message
    else:
        assert isinstance(result, Ok)
        json.dumps(result.value, ensure_ascii=False)  # storable as JSON
        if isinstance(result.value, str):
            assert "\x00" not in result.value


@settings(max_examples=1500, deadline=None)
@given(raw=raws, period=periods, today=days)
def test_every_question_type_survives_random_input(raw, period, today):
    for q in QUESTIONS:
        check(parse_answer(q, raw, period=period, today=today))


@settings(max_examples=300, deadline=None)
@given(raw=texts)
def test_accepted_dates_are_in_the_period_and_not_in_the_future(raw):
    period, today = MonthPeriod(2026, 11), date(2026, 11, 20)
    result = parse_answer(QUESTIONS[3], raw, period=period, today=today)
    if isinstance(result, Ok):
        day = date.fromisoformat(result.value)
        assert day in period and day <= today


@settings(max_examples=300, deadline=None)
@given(raw=texts)
def test_accepted_integers_are_in_bounds(raw):
    result = parse_answer(QUESTIONS[0], raw, period=MonthPeriod(2026, 11), today=date(2026, 11, 1))
    if isinstance(result, Ok):
        assert isinstance(result.value, int) and 0 <= result.value <= 100


FLOW_FORM = form(
    {"key": "n", "type": "integer", "label": "次数", "unit": "次"},
    {
        "key": "g",
        "type": "group",
        "label": "会议",
        "min_items": 0,
        "max_items": 3,
        "questions": [
            {"key": "d", "type": "date", "label": "日期"},
            {"key": "c", "type": "multi_choice", "label": "对象", "options": ["甲", "乙"]},
        ],
    },
    {"key": "y", "type": "yes_no", "label": "是否", "required": False},
    {"key": "p", "type": "photos", "label": "照片", "required": False, "max_count": 2},
)
actions = st.one_of(
    st.sampled_from(["back", "skip", "keep", "add", "done", "del:0", "del:5", "opt:0", "opt:1"]),
    st.sampled_from(["edit:n", "edit:g", "edit:y", "edit:p", "submit", "opt:9", "x:y"]),
    texts.map(lambda t: ("text", t)),
    st.sampled_from(["3", "11月5日", "是", "甲"]).map(lambda t: ("text", t)),
    st.text(max_size=4).map(lambda f: ("photo", f)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(actions, max_size=40))
def test_random_sequences_of_actions_never_crash(steps):
    period, today = MonthPeriod(2026, 11), date(2026, 11, 20)
    draft = Draft()
    for action in steps:
        if isinstance(action, tuple) and action[0] == "text":
            out = flow.answer(FLOW_FORM, draft, action[1], period=period, today=today)
        elif isinstance(action, tuple):
            out = flow.add_photo(FLOW_FORM, draft, action[1], period=period, today=today)
        else:
            out = flow.press(FLOW_FORM, draft, action, period=period, today=today)
        if out.error is not None:
            assert CJK.search(out.error)
        stored = json.dumps(out.draft.model_dump(mode="json"), ensure_ascii=False)
        draft = Draft.model_validate_json(stored)
        flow.current_step(FLOW_FORM, draft)
        flow.review_card(FLOW_FORM, draft, period=period)
    if flow.is_complete(FLOW_FORM, draft):
        assert isinstance(draft.answers["n"], int)
