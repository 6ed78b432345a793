"""Helpers for the form tests: a period, a today, and questions built from dicts."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import TypeAdapter

from models.forms import AnyQuestion, FormSpec, Question
from models.period import MonthPeriod

PERIOD = MonthPeriod(2026, 11)
TODAY = date(2026, 11, 20)

_QUESTION: TypeAdapter[Any] = TypeAdapter(Question)


def question(**spec: Any) -> AnyQuestion:
    """A question from keyword fields, e.g. question(type="integer", unit="次")."""
    spec.setdefault("key", "q")
    spec.setdefault("label", "问题")
    result: AnyQuestion = _QUESTION.validate_python(spec)
    return result


def form(*questions: dict[str, Any], key: str = "f", title: str = "测试表") -> FormSpec:
    """A form of the given question dicts, filled by communities."""
    return FormSpec.model_validate(
        {"key": key, "title": title, "filled_by": {"kinds": ["community"]}, "questions": questions}
    )
