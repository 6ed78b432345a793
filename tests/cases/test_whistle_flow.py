"""The whistle conversation's table (services/cases/whistle_flow.py), without a database."""

from __future__ import annotations

from services.buttons import WHISTLE, WhistleAction
from services.cases import whistle_flow as flow
from services.cases.draft import MAX_ADDRESS, MAX_PHOTOS, EditField, WhistleDraft
from services.cases.whistle_flow import End, Option, WhistleStep

CATEGORIES = [Option("消防通道堵塞", WhistleAction.CATEGORY, "lane", sets={"category_key": "lane"})]
AREAS = [Option("梨花苑小区", WhistleAction.AREA, 7, sets={"area_id": 7})]


def at(step: WhistleStep) -> WhistleDraft:
    """A draft whose next question is `step`."""
    answers: list[dict[str, object]] = [
        {"category_key": "lane"},
        {"area_id": 7},
        {"place_done": True},
        {"photos_done": True},
        {"description": "堵了"},
        {"urgent": True},
        {"duplicate_checked": True},
    ]
    order = [s.key for s in flow.STEPS]
    draft = WhistleDraft()
    for change in answers[: order.index(step)]:
        draft = draft.model_copy(update=change)
    assert flow.current(draft).key is step
    return draft


def test_the_steps_in_order_and_their_numbers():
    assert [s.key for s in flow.STEPS] == [
        WhistleStep.CATEGORY,
        WhistleStep.AREA,
        WhistleStep.PLACE,
        WhistleStep.PHOTOS,
        WhistleStep.DESCRIPTION,
        WhistleStep.URGENCY,
        WhistleStep.DUPLICATE,
        WhistleStep.REVIEW,
    ]
    assert [s.number for s in flow.STEPS] == [1, 2, 3, 4, 5, 6, None, None]
    assert flow.progress(WhistleDraft()) is None
    assert flow.progress(at(WhistleStep.PLACE)) == "第3步"
    assert flow.progress(at(WhistleStep.REVIEW)) == "待提交"


def test_every_button_is_what_the_codec_reads_back():
    for step in (*flow.STEPS, flow.EDIT):
        sources = {flow.Source.CATEGORIES: CATEGORIES, flow.Source.AREAS: AREAS}
        found = sources[step.choices] if isinstance(step.choices, flow.Source) else []
        for row in flow.keyboard(step, found):
            for option in row:
                decoded = WHISTLE.decode(option.data)
                assert decoded is not None, option
                assert (decoded.action, decoded.values) == (option.action, option.values)


def test_keyboards_are_the_choices_two_per_row_then_skip_and_cancel():
    def labels(step: WhistleStep, choices: list[Option]) -> list[list[str]]:
        return [[o.label for o in row] for row in flow.keyboard(flow.BY_KEY[step], choices)]

    assert labels(WhistleStep.CATEGORY, CATEGORIES * 3) == [
        ["消防通道堵塞", "消防通道堵塞"],
        ["消防通道堵塞"],
        ["取消"],
    ]
    assert labels(WhistleStep.PLACE, []) == [["跳过", "取消"]]
    assert labels(WhistleStep.PHOTOS, []) == [["完成", "取消"]]
    assert labels(WhistleStep.DESCRIPTION, []) == [["取消"]]
    assert labels(WhistleStep.URGENCY, []) == [["紧急", "一般"], ["取消"]]
    assert labels(WhistleStep.REVIEW, []) == [["提交", "修改"], ["取消"]]
    assert labels(WhistleStep.EDIT, []) == [
        ["类别", "地点"],
        ["照片", "描述"],
        ["紧急程度"],
        ["返回"],
    ]


def test_typed_skip_is_taken_at_the_place_and_at_the_photo_step():
    place = flow.on_text(at(WhistleStep.PLACE), "跳过")
    assert place.draft is not None and place.draft.place_done and place.draft.address is None
    photos = flow.on_text(at(WhistleStep.PHOTOS), "跳过")
    assert photos.draft is not None and flow.current(photos.draft).key is WhistleStep.DESCRIPTION
    done = flow.on_text(at(WhistleStep.PHOTOS), "完成")
    assert done.draft is not None and done.draft.photos_done
    # at the description step 跳过 is a description like any other
    described = flow.on_text(at(WhistleStep.DESCRIPTION), "跳过")
    assert described.draft is not None and described.draft.description == "跳过"


def test_text_answers_choices_and_refusals():
    chosen = flow.on_text(WhistleDraft(), "消防通道堵塞", CATEGORIES)
    assert chosen.draft is not None and chosen.draft.category_key == "lane"
    assert flow.on_text(WhistleDraft(), "别的", CATEGORIES).again == flow.ASK_AGAIN
    long = flow.on_text(at(WhistleStep.PLACE), "长" * (MAX_ADDRESS + 1))
    assert long.refusal == f"地址过长（{MAX_ADDRESS + 1}字），请控制在{MAX_ADDRESS}字以内。"
    assert flow.on_text(at(WhistleStep.REVIEW), "提交").again == flow.ASK_AGAIN
    assert flow.on_text(at(WhistleStep.AREA), "取消", AREAS).end is End.CANCEL
    assert flow.on_photo(at(WhistleStep.AREA), "p1").again == "此步暂不接收照片。"
    assert flow.on_location(at(WhistleStep.PHOTOS), 1.0, 2.0).again == "此步暂不接收位置。"


def test_photos_stop_at_the_limit():
    draft = at(WhistleStep.PHOTOS)
    for n in range(MAX_PHOTOS):
        result = flow.on_photo(draft, f"p{n}")
        assert result.draft is not None
        draft = result.draft
    assert len(draft.photos) == MAX_PHOTOS and flow.current(draft).key is WhistleStep.DESCRIPTION


def test_a_press_counts_only_at_the_step_that_showed_it():
    review = at(WhistleStep.REVIEW)
    assert flow.on_press(review, WhistleAction.SUBMIT).end is End.SUBMIT
    assert flow.on_press(review, WhistleAction.SKIP_PLACE).refusal == flow.STALE
    assert (
        flow.on_press(WhistleDraft(), WhistleAction.CATEGORY, ("nosuch",), CATEGORIES).refusal
        == flow.STALE
    )
    assert flow.on_press(at(WhistleStep.PHOTOS), WhistleAction.CANCEL).end is End.CANCEL
    # 补充 needs the duplicate the look-up found
    dup = at(WhistleStep.DUPLICATE)
    assert flow.on_press(dup, WhistleAction.DUPLICATE, ("add",)).refusal == flow.STALE
    found = flow.with_duplicate(dup, 42)
    assert flow.on_press(found, WhistleAction.DUPLICATE, ("add",)).end is End.SUPPLEMENT
    assert flow.current(flow.with_duplicate(dup, None)).key is WhistleStep.REVIEW


def test_edit_clears_one_answer_and_comes_back_to_the_review():
    review = at(WhistleStep.REVIEW)
    editing = flow.on_press(review, WhistleAction.EDIT)
    assert editing.draft is not None and flow.current(editing.draft) is flow.EDIT
    cleared = flow.on_press(editing.draft, WhistleAction.EDIT_FIELD, (EditField.DESCRIPTION.value,))
    assert cleared.draft is not None
    assert flow.current(cleared.draft).key is WhistleStep.DESCRIPTION
    again = flow.on_text(cleared.draft, "新的描述")
    assert again.draft is not None and flow.current(again.draft).key is WhistleStep.REVIEW
    back = flow.on_press(editing.draft, WhistleAction.EDIT_FIELD, ("back",))
    assert back.draft is not None and flow.current(back.draft).key is WhistleStep.REVIEW
