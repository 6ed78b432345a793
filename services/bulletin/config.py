"""Checks of the org file's `bulletin:` block against the forms file (loaded separately)."""

from __future__ import annotations

from pathlib import Path

from models.forms import FormsFile, GroupQuestion, IntegerQuestion, YesNoQuestion
from models.orgfile import OrgFile
from services.bulletin.issue import check_template
from services.bulletin.templatefile import TemplateError
from services.orgconfig import OrgFileError

# Answers the bulletin can count as "held": group items, a number, 是 = 1.
COUNTABLE = (GroupQuestion, IntegerQuestion, YesNoQuestion)


def check_bulletin_against_forms(org: OrgFile, forms: FormsFile, name: str = "<org>") -> None:
    """Refuse duties and highlights that name a form or question the forms file lacks."""
    for i, duty in enumerate(org.bulletin.duties):
        if duty.form is None or duty.question is None:
            continue
        where = f"{name}: bulletin.duties[{i}]"
        form = forms.form(duty.form)
        if form is None:
            raise OrgFileError(f"{where}.form: no report form '{duty.form}' in the forms file")
        question = form.question(duty.question)
        if question is None:
            raise OrgFileError(
                f"{where}.question: form '{duty.form}' has no question '{duty.question}'"
            )
        if not isinstance(question, COUNTABLE):
            raise OrgFileError(
                f"{where}.question: '{duty.question}' is a {question.type} question; a duty is "
                "counted from a repeating group, a whole number or a yes/no question"
            )
    for i, ref in enumerate(org.bulletin.highlights):
        form_key, question_key = ref.split(".")
        form = forms.form(form_key)
        if form is None or form.question(question_key) is None:
            raise OrgFileError(
                f"{name}: bulletin.highlights[{i}]: '{ref}' names no question of the forms file"
            )


def check_bulletin_template(org: OrgFile, org_dir: str | Path, name: str = "<org>") -> None:
    """Refuse a `bulletin.template` that is missing, not a .docx, or lacks {{正文}}."""
    try:
        check_template(org, org_dir)
    except TemplateError as exc:
        raise OrgFileError(f"{name}: bulletin.template: {exc}") from None
