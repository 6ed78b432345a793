"""Every button's callback data, in one place: an action enum per feature, typed values, checked.

Wire format (STABLE: buttons already sent to chats must keep working after an upgrade, so a
change here must keep decoding the old form):

    <feature>:<action>[:<value>...]      ASCII only, at most 64 bytes (Telegram's limit)

    cases    c:ack:<case>:<dept>  c:res:<case>:<dept>  c:tri:<case>:<dept>
             c:vok:<case>  c:vno:<case>  c:rsub  c:rcan  c:arr:<case>:<dept>  c:arok  c:arno
             c:pack:<case>:<dept>
    whistle  wh:cancel  wh:cat:<category key>  wh:area:<area>  wh:skip  wh:pdone
             wh:urg:<0|1>  wh:dup:<add|new>  wh:sub  wh:edit  wh:ed:<field|back>
    meeting  rem:held:<occurrence>  rem:post:<occurrence>
             rem:hd:<occurrence>:<YYYYMMDD>  rem:pd:<occurrence>:<YYYYMMDD>
    reports  rp:o:<form key>:<YYYY-MM>
             rp:a:<submission>:<version>:<the form's action: opt:2, del:0, edit:<key>, back, ...>
    dialogs  dlg:keep:<kind>  dlg:later:<kind>:<kind>  dlg:drop:<kind>:<kind>
    bulletin bl:sign:<run>:<revision>  bl:note:<run>  bl:req:<run>

Ids are ASCII digits within their column's range (services/ids.py), keys and months match a
strict ASCII pattern, and anything else decodes to None: the button guard
(handlers/buttons.py) then answers "该按钮已失效" and nothing changes. Data carries ids only,
never text; whatever it names is re-checked in the database by the service that acts on it.
Encoding checks the same rules and the 64 bytes, so a bad button fails where it is built.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar, Generic, TypeVar

from models.forms import FORM_KEY_PATTERN
from models.orgfile import KEY_PATTERN
from models.period import MonthPeriod
from services.ids import INT_MAX, parse_id

MAX_BYTES = 64  # Telegram's limit for callback_data
SEPARATOR = ":"

Value = int | str | date | MonthPeriod


class Field(ABC):
    """One value in the data: how it is read (None: not valid) and written (ValueError)."""

    greedy: ClassVar[bool] = False  # takes the rest of the data, separators included

    @abstractmethod
    def read(self, text: str) -> Value | None: ...

    @abstractmethod
    def write(self, value: Value) -> str: ...


@dataclass(frozen=True)
class Id(Field):
    """A row id: ASCII digits within the column's range (BIGINT_MAX for BigInteger columns)."""

    minimum: int = 1
    maximum: int = INT_MAX

    def read(self, text: str) -> int | None:
        return parse_id(text, minimum=self.minimum, maximum=self.maximum)

    def write(self, value: Value) -> str:
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not self.minimum <= value <= self.maximum
        ):
            raise ValueError(f"not an id in {self.minimum}..{self.maximum}: {value!r}")
        return str(value)


@dataclass(frozen=True)
class Key(Field):
    """A short ASCII key (department, category, form, rule, field), matched in full."""

    pattern: str = KEY_PATTERN

    def read(self, text: str) -> str | None:
        return text if re.fullmatch(self.pattern, text, re.ASCII) else None

    def write(self, value: Value) -> str:
        if not isinstance(value, str) or self.read(value) is None:
            raise ValueError(f"not a key matching {self.pattern}: {value!r}")
        return value


@dataclass(frozen=True)
class Rest(Key):
    """The rest of the data, separators included (a sub-action such as `opt:2`)."""

    greedy: ClassVar[bool] = True


class Choice(Field):
    """One of a few fixed words."""

    def __init__(self, *words: str) -> None:
        self.words = frozenset(words)

    def read(self, text: str) -> str | None:
        return text if text in self.words else None

    def write(self, value: Value) -> str:
        if not isinstance(value, str) or value not in self.words:
            raise ValueError(f"not one of {sorted(self.words)}: {value!r}")
        return value


class Day(Field):
    """A calendar day written YYYYMMDD."""

    def read(self, text: str) -> date | None:
        if not re.fullmatch(r"[0-9]{8}", text):
            return None
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:  # 20261340
            return None

    def write(self, value: Value) -> str:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"not a day: {value!r}")
        return f"{value:%Y%m%d}"


class Month(Field):
    """A month written YYYY-MM (the MonthPeriod key)."""

    def read(self, text: str) -> MonthPeriod | None:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
            return None
        try:
            return MonthPeriod(int(text[:4]), int(text[5:]))
        except ValueError:  # 2026-13, 1999-01
            return None

    def write(self, value: Value) -> str:
        if not isinstance(value, MonthPeriod):
            raise ValueError(f"not a month: {value!r}")
        return value.key


A = TypeVar("A", bound=StrEnum)


@dataclass(frozen=True)
class Decoded(Generic[A]):
    """A press as the codec read it: the action and its values, already checked."""

    action: A
    values: tuple[Value, ...]

    def id(self, index: int) -> int:
        value = self.values[index]
        assert isinstance(value, int), value
        return value

    def text(self, index: int) -> str:
        value = self.values[index]
        assert isinstance(value, str), value
        return value

    def day(self, index: int) -> date:
        value = self.values[index]
        assert isinstance(value, date), value
        return value

    def month(self, index: int) -> MonthPeriod:
        value = self.values[index]
        assert isinstance(value, MonthPeriod), value
        return value


class Codec(Generic[A]):
    """One feature's buttons: `prefix:action:values`, each action with its fields."""

    def __init__(self, prefix: str, actions: Mapping[A, Sequence[Field]]) -> None:
        for action, fields in actions.items():
            assert all(not f.greedy for f in fields[:-1]), f"{action}: only the last is greedy"
        self.prefix = prefix
        self.actions = {action: tuple(fields) for action, fields in actions.items()}
        self._by_wire = {action.value: action for action in actions}
        # What PTB's CallbackQueryHandler routes to this feature.
        self.pattern = re.compile(rf"^{re.escape(prefix)}{SEPARATOR}")

    def encode(self, action: A, *values: Value) -> str:
        """The callback data; ValueError if a value does not fit or the data exceeds 64 bytes."""
        fields = self.actions[action]
        if len(values) != len(fields):
            raise ValueError(f"{self.prefix}:{action.value} takes {len(fields)} values")
        data = SEPARATOR.join(
            [self.prefix, action.value, *(f.write(v) for f, v in zip(fields, values, strict=True))]
        )
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    def decode(self, data: str) -> Decoded[A] | None:
        """The press, or None for anything this feature never sent (stale, forged, garbled)."""
        if len(data.encode()) > MAX_BYTES:
            return None
        prefix, _, rest = data.partition(SEPARATOR)
        if prefix != self.prefix:
            return None
        wire, _, rest = rest.partition(SEPARATOR)
        action = self._by_wire.get(wire)
        if action is None:
            return None
        fields = self.actions[action]
        parts = rest.split(SEPARATOR) if rest else []
        if fields and fields[-1].greedy and len(parts) > len(fields):
            parts = [*parts[: len(fields) - 1], SEPARATOR.join(parts[len(fields) - 1 :])]
        if len(parts) != len(fields) or (not rest and data.endswith(SEPARATOR)):
            return None
        values = [f.read(p) for f, p in zip(fields, parts, strict=True)]
        if any(v is None for v in values):
            return None
        return Decoded(action, tuple(v for v in values if v is not None))


ID = Id()


class CaseAction(StrEnum):
    """Buttons on case cards (services/cases/cards.py) and the 处置 note (handlers/cases.py)."""

    ACK = "ack"  # 报到: case, department
    RESOLVE = "res"  # 处置完成: case, department
    RESOLVE_SUBMIT = "rsub"  # 提交 the 处置 note in the private chat
    RESOLVE_CANCEL = "rcan"  # 取消 the 处置 note
    VERIFIED = "vok"  # 已消除: case
    NOT_ELIMINATED = "vno"  # 未消除: case
    TRIAGE = "tri"  # a coordinator picks a department: case, department
    ARRIVE = "arr"  # 到场打卡: case, department (the location is asked in the private chat)
    ARRIVE_CONFIRM = "arok"  # 仍登记到场 when the shared location is beyond the radius
    ARRIVE_CANCEL = "arno"  # 取消 the arrival
    ACK_FOR = "pack"  # 代为报到 by a coordinator: case, department (the reason is asked)


CASE = Codec(
    "c",
    {
        CaseAction.ACK: (ID, ID),
        CaseAction.RESOLVE: (ID, ID),
        CaseAction.RESOLVE_SUBMIT: (),
        CaseAction.RESOLVE_CANCEL: (),
        CaseAction.VERIFIED: (ID,),
        CaseAction.NOT_ELIMINATED: (ID,),
        CaseAction.TRIAGE: (ID, ID),
        CaseAction.ARRIVE: (ID, ID),
        CaseAction.ARRIVE_CONFIRM: (),
        CaseAction.ARRIVE_CANCEL: (),
        CaseAction.ACK_FOR: (ID, ID),
    },
)


class WhistleAction(StrEnum):
    """Buttons of the whistle conversation (handlers/whistle.py)."""

    CANCEL = "cancel"
    CATEGORY = "cat"  # category key
    AREA = "area"  # area id
    SKIP_PLACE = "skip"
    PHOTOS_DONE = "pdone"
    URGENCY = "urg"  # 1 紧急 / 0 一般
    DUPLICATE = "dup"  # add (补充到该案件) / new (仍然新建)
    SUBMIT = "sub"
    EDIT = "edit"  # 修改: show the fields
    EDIT_FIELD = "ed"  # the field to change, or back


WHISTLE = Codec(
    "wh",
    {
        WhistleAction.CANCEL: (),
        WhistleAction.CATEGORY: (Key(),),
        WhistleAction.AREA: (ID,),
        WhistleAction.SKIP_PLACE: (),
        WhistleAction.PHOTOS_DONE: (),
        WhistleAction.URGENCY: (Choice("0", "1"),),
        WhistleAction.DUPLICATE: (Choice("add", "new"),),
        WhistleAction.SUBMIT: (),
        WhistleAction.EDIT: (),
        WhistleAction.EDIT_FIELD: (Key(),),
    },
)


class MeetingAction(StrEnum):
    """Buttons on meeting reminders (services/reminders.py) and their date questions."""

    HELD = "held"  # 已召开: occurrence
    POSTPONE = "post"  # 改期: occurrence
    HELD_ON = "hd"  # a quick date for 已召开: occurrence, day
    POSTPONE_TO = "pd"  # a quick date for 改期: occurrence, day


MEETING = Codec(
    "rem",
    {
        MeetingAction.HELD: (ID,),
        MeetingAction.POSTPONE: (ID,),
        MeetingAction.HELD_ON: (ID, Day()),
        MeetingAction.POSTPONE_TO: (ID, Day()),
    },
)


class ReportAction(StrEnum):
    """Buttons of the monthly report (handlers/reports.py, services/forms)."""

    OPEN = "o"  # open a form: form key, month
    ACT = "a"  # act on a draft: submission, version, the form's action (services/forms/flow.py)


# The form's own actions: opt:N, del:N, edit:<question key>, done, skip, keep, back, add, submit.
FORM_ACTION = r"[a-z]+(?::[a-z0-9_]{1,32})?"

REPORT = Codec(
    "rp",
    {
        ReportAction.OPEN: (Key(FORM_KEY_PATTERN), Month()),
        ReportAction.ACT: (ID, Id(minimum=0), Rest(FORM_ACTION)),
    },
)


class DialogAction(StrEnum):
    """继续填写 / 稍后再填 / 放弃 when a conversation would set another aside (handlers/router.py)."""

    KEEP = "keep"  # go on with this kind
    LATER = "later"  # the kind that waits, the kind to start now
    DROP = "drop"  # the kind to delete, the kind to start (the same kind: start it afresh)


DIALOG_KIND = Key(r"^[a-z][a-z0-9_]{0,31}$")  # a conversation kind: whistle, case_resolve, ...

DIALOG = Codec(
    "dlg",
    {
        DialogAction.KEEP: (DIALOG_KIND,),
        DialogAction.LATER: (DIALOG_KIND, DIALOG_KIND),
        DialogAction.DROP: (DIALOG_KIND, DIALOG_KIND),
    },
)


class BulletinAction(StrEnum):
    """Buttons under a 通报 送审稿 (services/bulletin/signoff.py)."""

    SIGN = "sign"  # 签发: run, revision (a press on an older draft is refused)
    COMMENT = "note"  # 修改意见: run
    REQUIRE = "req"  # 补充工作要求: run


BULLETIN = Codec(
    "bl",
    {
        BulletinAction.SIGN: (ID, Id(minimum=0)),
        BulletinAction.COMMENT: (ID,),
        BulletinAction.REQUIRE: (ID,),
    },
)
