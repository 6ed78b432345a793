"""Load the forms file (YAML) and report mistakes naming the file line, the form and the question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.enums import DepartmentKind
from models.forms import FormsFile, FormSpec
from models.orgfile import OrgFile
from models.schedule import Frequency
from services.orgconfig import OrgFileError
from services.schedule_rules import ScheduleParseError, frequency, parse_leads, parse_schedule
from services.yamlfile import compose, line_of, read_source


class FormsFileError(OrgFileError):
    """A mistake in the forms file, phrased for a person: file:line: form, question: problem."""


def load_forms(path: str | Path) -> FormsFile:
    """Read, parse and validate the forms file at path."""
    file = Path(path)
    source = read_source(
        file, FormsFileError, "forms file not found (check forms_file in the org file)"
    )
    return parse_forms(source, str(file))


def parse_forms(source: str, name: str = "<forms>") -> FormsFile:
    """Parse forms-file text; name is used in error messages."""
    node, data = compose(source, name, FormsFileError)
    if data is None:
        return FormsFile()
    if not isinstance(data, dict) or node is None:
        raise FormsFileError(f"{name}:1: the forms file must be a mapping with a 'forms' list")
    try:
        forms = FormsFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        where, path = _describe(data, loc)
        line = line_of(node, path)
        raise FormsFileError(f"{name}:{line}: {where}: {message}") from None
    for i, form in enumerate(forms.forms):
        _check_schedule(form, node, ("forms", i), name)
    return forms


def _check_schedule(form: FormSpec, node: yaml.Node, path: tuple[Any, ...], name: str) -> None:
    """The deadline must be a monthly rule and the reminder leads must read as lead times."""
    try:
        spec = parse_schedule(form.deadline)
    except ScheduleParseError as exc:
        line = line_of(node, (*path, "deadline"))
        raise FormsFileError(
            f"{name}:{line}: form '{form.key}', field 'deadline': {exc.message_en}"
        ) from None
    if frequency(spec) is not Frequency.MONTHLY:
        line = line_of(node, (*path, "deadline"))
        raise FormsFileError(
            f"{name}:{line}: form '{form.key}', field 'deadline': a monthly form needs a monthly "
            "deadline, e.g. 每月25日（非工作日提前）"
        )
    try:
        parse_leads(form.remind)
    except ScheduleParseError as exc:
        line = line_of(node, (*path, "remind"))
        raise FormsFileError(
            f"{name}:{line}: form '{form.key}', field 'remind': {exc.message_en}"
        ) from None


def check_forms_against_org(forms: FormsFile, org: OrgFile, name: str = "<forms>") -> None:
    """Refuse forms that name departments the org file does not know."""
    known = {d.key for d in org.departments}
    for form in forms.forms:
        for key in form.filled_by.departments:
            if key not in known:
                raise FormsFileError(
                    f"{name}: form '{form.key}', filled_by.departments: unknown department '{key}'"
                )
        if not any(form.filled_by.includes(d.key, d.kind) for d in org.departments):
            raise FormsFileError(
                f"{name}: form '{form.key}': no department of the org file fills it"
            )


def departments_owing(form_key: str, forms: FormsFile, org: OrgFile) -> list[str]:
    """Keys of the org's departments that fill the given form, in org-file order."""
    form = forms.form(form_key)
    if form is None:
        return []
    return [d.key for d in org.departments if form.filled_by.includes(d.key, d.kind)]


def forms_for(department_key: str, kind: DepartmentKind | str, forms: FormsFile) -> list[str]:
    """Keys of the forms a department owes."""
    return [f.key for f in forms.owed_by(department_key, kind)]


def _describe(data: Any, loc: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """Name the form and question a pydantic location points into; return it and the YAML path."""
    names: list[str] = []
    field: list[str] = []
    path: list[Any] = []
    current: Any = data
    form_key: str | None = None
    question_keys: list[str] = []
    parent: str | None = None
    for part in loc:
        if isinstance(current, dict) and part not in current and current.get("type") == part:
            # The discriminator tag pydantic puts in the location: not a YAML key.
            continue
        path.append(part)
        if isinstance(part, int) and isinstance(current, list) and 0 <= part < len(current):
            current = current[part]
            if parent == "forms" and isinstance(current, dict):
                form_key = str(current.get("key", f"#{part + 1}"))
                field = []
            elif parent == "questions" and isinstance(current, dict):
                question_keys.append(str(current.get("key", f"#{part + 1}")))
                field = []
            parent = None
            continue
        current = current[part] if isinstance(current, dict) and part in current else None
        if part not in ("forms", "questions"):
            field.append(str(part))
        parent = str(part)
    if form_key is not None:
        names.append(f"form '{form_key}'")
    if question_keys:
        names.append(f"question '{'.'.join(question_keys)}'")
    if field:
        names.append(f"field '{'.'.join(field)}'")
    return (", ".join(names) or "(top level)"), tuple(path)


def load_org_forms(org: OrgFile, org_path: str | Path) -> FormsFile:
    """The forms file the org file names (relative to the org file), checked against the org."""
    if org.forms_file is None:
        return FormsFile()
    path = Path(org.forms_file)
    if not path.is_absolute():
        path = Path(org_path).resolve().parent / path
    forms = load_forms(path)
    check_forms_against_org(forms, org, str(path))
    return forms
