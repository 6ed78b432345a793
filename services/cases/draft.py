"""The whistle conversation's draft (kept as JSON in dialog_states).

What is asked, in which order and what each step accepts is the table in
services/cases/whistle_flow.py; this module holds the answers. 修改 only has to clear a
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
