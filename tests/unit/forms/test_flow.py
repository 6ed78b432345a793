"""The form-walking state machine: next, 返回, 跳过, 修改, 保持不变, repeating groups, review."""

from __future__ import annotations

import json

from services.forms import flow
from services.forms.flow import Ask, Draft, GroupMenu, Review, current_step
from services.forms.screens import render
from tests.unit.forms.helpers import PERIOD, TODAY, form

FORM = form(
    {"key": "count", "type": "integer", "label": "检查次数", "unit": "次"},
    {
        "key": "meetings",
        "type": "group",
        "label": "召开的会议",
        "item_name": "会议",
        "min_items": 1,
        "max_items": 2,
        "questions": [
            {"key": "date", "type": "date", "label": "会议日期"},
            {"key": "people", "type": "integer", "label": "参会人数", "unit": "人"},
            {"key": "note", "type": "text", "label": "备注", "required": False},
        ],
    },
    {"key": "held", "type": "yes_no", "label": "是否留存记录"},
    {
        "key": "who",
        "type": "multi_choice",
        "label": "参加部门",
        "options": ["公安", "住建", "消防"],
        "required": False,
    },
    {"key": "photos", "type": "photos", "label": "照片", "max_count": 2},
    {"key": "remark", "type": "text", "label": "<说明>", "required": False, "max_length": 20},
)


def text(draft, raw):
    return flow.answer(FORM, draft, raw, period=PERIOD, today=TODAY)


def press(draft, action):
    return flow.press(FORM, draft, action, period=PERIOD, today=TODAY)


def ok(outcome):
    assert outcome.error is None, outcome.error
    # The draft must survive a JSON round trip at every step (the database stores it so).
    return Draft.model_validate(json.loads(json.dumps(outcome.draft.model_dump(mode="json"))))


def key_of(draft):
    step = current_step(FORM, draft)
    if isinstance(step, Ask):
        return step.id
    return step.id


def fill_to_review():
    d = Draft()
    d = ok(text(d, "3"))
    d = ok(text(d, "11月5日"))
    d = ok(text(d, "30"))
    d = ok(press(d, "skip"))
    assert isinstance(current_step(FORM, d), GroupMenu)
    d = ok(press(d, "done"))
    d = ok(press(d, "opt:0"))
    d = ok(press(d, "opt:1"))
    d = ok(press(d, "opt:2"))
    d = ok(press(d, "done"))
    d = ok(flow.add_photo(FORM, d, "p1", period=PERIOD, today=TODAY))
    d = ok(press(d, "done"))
    d = ok(text(d, "无"))
    return d


def test_first_question_is_the_first_unanswered():
    step = current_step(FORM, Draft())
    assert isinstance(step, Ask) and step.question.key == "count" and step.number == 1


def test_walk_to_review_and_complete():
    d = fill_to_review()
    assert isinstance(current_step(FORM, d), Review)
    assert flow.is_complete(FORM, d)
    assert d.answers == {
        "count": 3,
        "meetings": [{"date": "2026-11-05", "people": 30, "note": None}],
        "held": True,
        "who": ["住建", "消防"],
        "photos": ["p1"],
        "remark": "无",
    }


def test_wrong_answer_keeps_the_question_and_says_why():
    d = Draft()
    out = text(d, "-2")
    assert out.error == "不能为负数，请输入0或更大的整数（单位：次）。"
    assert key_of(out.draft) == "q:count"
    assert "count" not in out.draft.answers


def test_required_group_starts_its_first_item_directly():
    d = ok(text(Draft(), "3"))
    step = current_step(FORM, d)
    assert isinstance(step, Ask) and step.id == "g:meetings:1:date"


def test_group_add_another_then_max():
    d = ok(text(Draft(), "3"))
    d = ok(text(d, "11月5日"))
    d = ok(text(d, "30"))
    d = ok(text(d, "首次"))
    d = ok(press(d, "add"))
    assert key_of(d) == "g:meetings:2:date"
    d = ok(text(d, "今天"))
    d = ok(text(d, "12"))
    d = ok(press(d, "skip"))
    step = current_step(FORM, d)
    assert isinstance(step, GroupMenu) and len(step.items) == 2
    out = press(d, "add")
    assert out.error == "最多可填写2条会议。"
    d = ok(press(d, "done"))
    assert d.answers["meetings"][1] == {"date": "2026-11-20", "people": 12, "note": None}
    assert key_of(d) == "q:held"


def test_group_minimum_items():
    d = ok(text(Draft(), "3"))
    d = ok(text(d, "11月5日"))
    d = ok(text(d, "30"))
    d = ok(press(d, "skip"))
    d = ok(press(d, "del:0"))
    assert press(d, "done").error == "请至少填写1条会议。"
    assert press(d, "skip").error == "此题为必答题，不能跳过。"


def test_skip_refused_for_required():
    assert press(Draft(), "skip").error == "此题为必答题，不能跳过。"


def test_back_at_first_question():
    out = press(Draft(), "back")
    assert out.error == "已是第一题。"


def test_back_walks_through_group_items_and_out():
    d = ok(text(Draft(), "3"))
    d = ok(text(d, "11月5日"))
    d = ok(text(d, "30"))
    d = ok(press(d, "skip"))  # item 1 done -> menu
    d = ok(press(d, "back"))  # menu -> item 1, last sub-question
    assert key_of(d) == "g:meetings:1:note"
    d = ok(press(d, "back"))
    assert key_of(d) == "g:meetings:1:people"
    step = current_step(FORM, d)
    assert isinstance(step, Ask) and step.answered and step.current == 30
    d = ok(press(d, "keep"))  # people kept -> next unanswered? note was skipped (answered)
    step = current_step(FORM, d)
    assert isinstance(step, GroupMenu) and step.items[0]["people"] == 30
    d = ok(press(d, "back"))
    d = ok(press(d, "back"))
    d = ok(press(d, "back"))
    assert key_of(d) == "g:meetings:1:date"
    d = ok(press(d, "back"))  # leave the group to the previous question
    assert key_of(d) == "q:count"
    step = current_step(FORM, d)
    assert isinstance(step, Ask) and step.current == 3
    d = ok(text(d, "4"))
    assert d.answers["count"] == 4
    # Back at the first sub-question of the first item with nothing before: the group reopens.
    assert key_of(d) == "g:meetings:1:date"


def test_back_from_a_question_after_a_group_reopens_the_group_menu():
    d = ok(text(Draft(), "3"))
    d = ok(text(d, "11月5日"))
    d = ok(text(d, "30"))
    d = ok(press(d, "skip"))
    d = ok(press(d, "done"))
    assert key_of(d) == "q:held"
    d = ok(press(d, "back"))
    step = current_step(FORM, d)
    assert isinstance(step, GroupMenu) and len(step.items) == 1


def test_back_then_answer_moves_to_first_unanswered():
    d = ok(text(Draft(), "3"))
    d = ok(text(d, "11月5日"))
    d = ok(text(d, "30"))
    d = ok(press(d, "skip"))
    d = ok(press(d, "done"))
    d = ok(press(d, "opt:0"))  # held = yes
    assert key_of(d) == "q:who"
    d = ok(press(d, "back"))
    assert key_of(d) == "q:held"
    d = ok(press(d, "opt:1"))
    assert d.answers["held"] is False
    assert key_of(d) == "q:who"


def test_multi_choice_toggle_and_untoggle():
    d = fill_to_review()
    d = ok(press(d, "edit:who"))
    assert flow.selection(FORM, d) == [1, 2]
    d = ok(press(d, "opt:1"))
    assert flow.selection(FORM, d) == [2]
    d = ok(press(d, "opt:2"))
    assert press(d, "done").error == "请至少选择1项。"
    d = ok(press(d, "opt:0"))
    d = ok(press(d, "done"))
    assert d.answers["who"] == ["公安"]
    assert isinstance(current_step(FORM, d), Review)


def test_photos_collect_then_done_and_auto_finish_at_max():
    d = fill_to_review()
    d = ok(press(d, "edit:photos"))
    d = ok(flow.add_photo(FORM, d, "a", period=PERIOD, today=TODAY))
    assert flow.pending_photos(FORM, d) == ["a"]
    d = ok(flow.add_photo(FORM, d, "b", period=PERIOD, today=TODAY))
    assert d.answers["photos"] == ["a", "b"]
    assert isinstance(current_step(FORM, d), Review)


def test_photos_done_without_photos_is_refused():
    d = fill_to_review()
    d = ok(press(d, "edit:photos"))
    assert press(d, "done").error == "请至少发送1张照片。"
    d = ok(press(d, "keep"))
    assert d.answers["photos"] == ["p1"]


def test_photo_sent_to_a_text_question_is_refused():
    out = flow.add_photo(FORM, Draft(), "x", period=PERIOD, today=TODAY)
    assert out.error == "请输入整数（单位：次），例如 3。"


def test_edit_from_review_returns_to_review():
    d = fill_to_review()
    d = ok(press(d, "edit:count"))
    assert key_of(d) == "q:count"
    d = ok(text(d, "9"))
    assert d.answers["count"] == 9
    assert isinstance(current_step(FORM, d), Review)


def test_edit_group_lists_items_with_delete():
    d = fill_to_review()
    d = ok(press(d, "edit:meetings"))
    step = current_step(FORM, d)
    assert isinstance(step, GroupMenu) and len(step.items) == 1
    d = ok(press(d, "add"))
    d = ok(text(d, "11月6日"))
    d = ok(text(d, "8"))
    d = ok(text(d, "第二次"))
    d = ok(press(d, "del:0"))
    d = ok(press(d, "done"))
    assert d.answers["meetings"] == [{"date": "2026-11-06", "people": 8, "note": "第二次"}]
    assert isinstance(current_step(FORM, d), Review)


def test_edit_only_from_review():
    assert press(Draft(), "edit:count").error == "请先完成当前问题，再在核对页修改。"


def test_keep_requires_an_answer():
    assert press(Draft(), "keep").error == "此题尚未作答，请先作答。"


def test_unknown_action_is_refused():
    assert press(Draft(), "bogus").error == "该按钮已失效，请按当前问题作答。"
    assert press(Draft(), "opt:1").error == "该按钮已失效，请按当前问题作答。"


def test_text_at_review_is_explained():
    d = fill_to_review()
    assert text(d, "好").error == "请核对后点击“提交”；如需更改，请点击对应的“修改”。"


def test_back_from_review_goes_to_last_question():
    d = fill_to_review()
    d = ok(press(d, "back"))
    assert key_of(d) == "q:remark"


def test_optional_group_shows_menu_first_and_can_be_skipped():
    f = form(
        {
            "key": "g",
            "type": "group",
            "label": "亮点",
            "required": False,
            "questions": [{"key": "t", "type": "text", "label": "内容"}],
        },
        {"key": "n", "type": "integer", "label": "数"},
    )
    step = current_step(f, Draft())
    assert isinstance(step, GroupMenu) and step.items == []
    d = flow.skip(f, Draft()).draft
    assert d.answers == {"g": None}
    assert current_step(f, d).id == "q:n"


def test_review_card_escapes_html_and_lists_every_answer():
    d = fill_to_review()
    d = ok(press(d, "edit:remark"))
    d = ok(text(d, "<b>&</b>"))
    card = flow.review_card(FORM, d, period=PERIOD, heading="部门：千山社区")
    assert "<b>【测试表】2026年11月</b>" in card
    assert "6. &lt;说明&gt;：&lt;b&gt;&amp;&lt;/b&gt;" in card
    assert "1. 检查次数：3次" in card
    assert "2. 召开的会议：共1条" in card
    assert "（1）会议日期：2026年11月5日（周四）；参会人数：30人；备注：（未填写）" in card
    assert "4. 参加部门：住建、消防" in card
    assert "5. 照片：1张照片" in card


def test_review_card_shortens_long_texts():
    f = form({"key": "t", "type": "text", "label": "情况", "max_length": 1000})
    d = flow.answer(f, Draft(), "字" * 600, period=PERIOD, today=TODAY).draft
    card = flow.review_card(f, d, period=PERIOD)
    assert "…（共600字）" in card
    assert len(card) < 400


def test_screens_offer_the_right_buttons():
    screen = render(FORM, Draft(), period=PERIOD)
    assert "第1/6题" in screen.text and "检查次数" in screen.text
    assert [[b.data for b in row] for row in screen.rows] == [["back"]]
    d = fill_to_review()
    review = render(FORM, d, period=PERIOD)
    actions = [b.data for row in review.rows for b in row]
    assert actions[:6] == [f"edit:{q.key}" for q in FORM.questions]
    assert actions[-2:] == ["back", "submit"]
    d = ok(press(d, "edit:who"))
    labels = [b.label for row in render(FORM, d, period=PERIOD).rows for b in row]
    assert labels == ["公安", "✅ 住建", "✅ 消防", "完成", "返回", "跳过", "保持不变"]


def test_stale_draft_survives_a_changed_form():
    # A draft saved under an older form: an unknown cursor and group are dropped, not crashed on.
    d = Draft(cursor="gone", answers={"count": 1, "old": 5})
    assert key_of(d) == "g:meetings:1:date"
    d2 = Draft.model_validate({"group": {"key": "held", "items": []}, "answers": {"count": 1}})
    assert key_of(d2) == "g:meetings:1:date"


def test_long_groups_still_fit_one_message():
    f = form(
        {
            "key": "g",
            "type": "group",
            "label": "培训",
            "max_items": 20,
            "questions": [{"key": "t", "type": "text", "label": "内容", "max_length": 200}],
        }
    )
    d = Draft()
    for n in range(20):
        if n:
            d = flow.add_item(f, d).draft
        d = flow.answer(f, d, f"{n:02d}" + "&" * 198, period=PERIOD, today=TODAY).draft
    menu = render(f, d, period=PERIOD)
    assert len(menu.text) <= 3800 and "（20）内容：19" in menu.text
    d = flow.done(f, d, period=PERIOD, today=TODAY).draft
    review = render(f, d, period=PERIOD)
    assert len(review.text) <= 3800
    assert "1. 培训：共20条" in review.text and "（20）内容：19" in review.text
