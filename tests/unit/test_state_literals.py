"""States are compared and written as enum members, never as string literals.

A literal still works today (the enums are StrEnums) but survives a rename silently, which is
what typing the state columns is for. The check reads the source: a string constant naming a
state, compared with, assigned to or passed as a `status`/`kind`/`source`/`role`/
`last_error_kind` (attribute, keyword, `.in_(...)`), is reported with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from models.bulletin_runs import BulletinRunStatus
from models.cases import CaseStatus, DeptStatus, EventKind, PhotoSource
from models.enums import AreaKind, DepartmentKind, Role
from models.outbox import ErrorKind, OutboxKind, OutboxStatus
from models.reminders import OccurrenceStatus, SendKind, SendStatus
from models.reports import ReportEventKind, SubmissionStatus

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "scheduler", "services", "sim", "bench")
STATE_NAMES = {"status", "kind", "source", "role", "last_error_kind"}
ENUMS = (
    OutboxStatus,
    OutboxKind,
    ErrorKind,
    CaseStatus,
    DeptStatus,
    EventKind,
    PhotoSource,
    SubmissionStatus,
    ReportEventKind,
    OccurrenceStatus,
    SendKind,
    SendStatus,
    BulletinRunStatus,
    DepartmentKind,
    AreaKind,
    Role,
)
STATES = {member.value for enum in ENUMS for member in enum}


def _state_literals(node: ast.expr) -> list[str]:
    """State names spelled as string constants in `node` (a constant, `a if c else b`, or a
    tuple/list/set of them)."""
    if isinstance(node, ast.IfExp):
        return _state_literals(node.body) + _state_literals(node.orelse)
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [
        item.value
        for item in items
        if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value in STATES
    ]


def _is_state(node: ast.expr) -> bool:
    """`x.status` and the like; Telegram's own `chat_member.status` is not ours."""
    if not isinstance(node, ast.Attribute) or node.attr not in STATE_NAMES:
        return False
    owner = node.value
    return not (isinstance(owner, ast.Attribute) and owner.attr.endswith("chat_member"))


def offences(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_state(side) for side in sides):
                found += [(node.lineno, s) for side in sides for s in _state_literals(side)]
        elif isinstance(node, ast.Assign):
            if any(_is_state(target) for target in node.targets):
                found += [(node.lineno, s) for s in _state_literals(node.value)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # Column.in_(("pending", "sending")) and not_in(...)
            if node.func.attr in ("in_", "not_in") and _is_state(node.func.value):
                found += [(node.lineno, s) for arg in node.args for s in _state_literals(arg)]
        elif isinstance(node, ast.Dict):  # insert values: {"status": "pending", ...}
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in STATE_NAMES:
                    found += [(value.lineno, s) for s in _state_literals(value)]
        elif isinstance(node, ast.keyword) and node.arg in STATE_NAMES:
            found += [(node.value.lineno, s) for s in _state_literals(node.value)]
    return found


def test_the_check_finds_literals_and_passes_members():
    source = (
        'row.status = "sent"\n'
        'q.where(OutboxMessage.status.in_(("pending", "sending")))\n'
        'ok = case.status == "closed"\n'
        'CasePhoto(source="whistle")\n'
        'ReportEvent(kind="resubmitted" if again else "submitted")\n'
        'values = {"status": "pending", "text": "sent"}\n'
        "row.status = OutboxStatus.SENT\n"
        'was_in = change.old_chat_member.status in ("member", "administrator")\n'
    )
    assert sorted(offences(ast.parse(source))) == [
        (1, "sent"),
        (2, "pending"),
        (2, "sending"),
        (3, "closed"),
        (4, "whistle"),
        (5, "resubmitted"),
        (5, "submitted"),
        (6, "pending"),
    ]


def test_no_state_is_spelled_as_a_string_in_the_code():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {state!r}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, state in offences(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "use the enum member instead of the string:\n" + "\n".join(found)
