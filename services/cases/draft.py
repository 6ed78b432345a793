"""The whistle conversation's draft and its order of questions (kept as JSON in dialog_states).

The next question is always "the first thing still missing", so 修改 only has to clear a
field: the conversation asks for it again and, everything else being filled, comes back to
the review card. A restart resumes at the same question because the draft is the state.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

MAX_PHOTOS = 5
MAX_DESCRIPTION = 500
MAX_ADDRESS = 100
DIALOG_KIND = "whistle"


class WhistleStep(StrEnum):
    """The questions of the whistle conversation, in order."""

    CATEGORY = "category"
    AREA = "area"
    PLACE = "place"  # optional location pin, then a free-text address (or 跳过)
    PHOTOS = "photos"  # 0 to 5 photos, then 完成
    DESCRIPTION = "description"
    URGENCY = "urgency"
    DUPLICATE = "duplicate"  # an open case of the same category and area: 补充 or 新建
    REVIEW = "review"  # 提交 / 修改 / 取消
    EDIT = "edit"  # which part to change


class EditField(StrEnum):
    """What 修改 can change (each clears the matching answers)."""

    CATEGORY = "category"
    PLACE = "place"
    PHOTOS = "photos"
    DESCRIPTION = "description"
    URGENCY = "urgency"


EDIT_LABELS: dict[EditField, str] = {
    EditField.CATEGORY: "类别",
    EditField.PLACE: "地点",
    EditField.PHOTOS: "照片",
    EditField.DESCRIPTION: "描述",
    EditField.URGENCY: "紧急程度",
}


class WhistleDraft(BaseModel):
    """The answers so far."""

    model_config = ConfigDict(extra="ignore")

    category_key: str | None = None
    area_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    place_done: bool = False
    photos: list[str] = Field(default_factory=list)
    photos_done: bool = False
    description: str | None = None
    urgent: bool | None = None
    # The duplicate offered (case id) and whether the person chose 仍然新建.
    duplicate_case_id: int | None = None
    duplicate_checked: bool = False
    editing: bool = False

    def next_step(self) -> WhistleStep:
        """The first question still unanswered (REVIEW once all are answered)."""
        if self.editing:
            return WhistleStep.EDIT
        if self.category_key is None:
            return WhistleStep.CATEGORY
        if self.area_id is None:
            return WhistleStep.AREA
        if not self.place_done:
            return WhistleStep.PLACE
        if not self.photos_done:
            return WhistleStep.PHOTOS
        if self.description is None:
            return WhistleStep.DESCRIPTION
        if self.urgent is None:
            return WhistleStep.URGENCY
        if not self.duplicate_checked:
            return WhistleStep.DUPLICATE
        return WhistleStep.REVIEW

    def clear(self, what: EditField) -> WhistleDraft:
        """A copy with one part cleared, so the conversation asks for it again."""
        changes: dict[str, object] = {"editing": False}
        if what is EditField.CATEGORY:
            changes |= {"category_key": None, "duplicate_checked": False}
        elif what is EditField.PLACE:
            changes |= {
                "area_id": None,
                "latitude": None,
                "longitude": None,
                "address": None,
                "place_done": False,
                "duplicate_checked": False,
            }
        elif what is EditField.PHOTOS:
            changes |= {"photos": [], "photos_done": False}
        elif what is EditField.DESCRIPTION:
            changes |= {"description": None}
        else:
            changes |= {"urgent": None}
        return self.model_copy(update=changes)

    def add_photo(self, file_id: str) -> WhistleDraft:
        """A copy with one more photo; the fifth closes the photo step by itself."""
        photos = [*self.photos, file_id][:MAX_PHOTOS]
        return self.model_copy(update={"photos": photos, "photos_done": len(photos) >= MAX_PHOTOS})
