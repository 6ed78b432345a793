"""The button codec: every button's data decodes to what encoded it; anything else to None."""

from __future__ import annotations

from datetime import date

import pytest

from models.period import MonthPeriod
from services.buttons import (
    CASE,
    MEETING,
    REPORT,
    WHISTLE,
    CaseAction,
    Codec,
    MeetingAction,
    ReportAction,
    WhistleAction,
)
from services.ids import BIGINT_MAX, INT_MAX, parse_id

# The wire format is stable: buttons already in chats must still work after an upgrade.
# Each of these was produced by the bot before the codec existed.
SENT_BEFORE = [
    (CASE, "c:ack:42:3", CaseAction.ACK, (42, 3)),
    (CASE, "c:res:42:3", CaseAction.RESOLVE, (42, 3)),
    (CASE, "c:tri:7:11", CaseAction.TRIAGE, (7, 11)),
    (CASE, "c:vok:42", CaseAction.VERIFIED, (42,)),
    (CASE, "c:vno:42", CaseAction.NOT_ELIMINATED, (42,)),
    (CASE, "c:rsub", CaseAction.RESOLVE_SUBMIT, ()),
    (CASE, "c:rcan", CaseAction.RESOLVE_CANCEL, ()),
    (WHISTLE, "wh:cancel", WhistleAction.CANCEL, ()),
    (WHISTLE, "wh:cat:fire_lane", WhistleAction.CATEGORY, ("fire_lane",)),
    (WHISTLE, "wh:area:5", WhistleAction.AREA, (5,)),
    (WHISTLE, "wh:skip", WhistleAction.SKIP_PLACE, ()),
    (WHISTLE, "wh:pdone", WhistleAction.PHOTOS_DONE, ()),
    (WHISTLE, "wh:urg:1", WhistleAction.URGENCY, ("1",)),
    (WHISTLE, "wh:urg:0", WhistleAction.URGENCY, ("0",)),
    (WHISTLE, "wh:dup:add", WhistleAction.DUPLICATE, ("add",)),
    (WHISTLE, "wh:dup:new", WhistleAction.DUPLICATE, ("new",)),
    (WHISTLE, "wh:sub", WhistleAction.SUBMIT, ()),
    (WHISTLE, "wh:edit", WhistleAction.EDIT, ()),
    (WHISTLE, "wh:ed:description", WhistleAction.EDIT_FIELD, ("description",)),
    (WHISTLE, "wh:ed:back", WhistleAction.EDIT_FIELD, ("back",)),
    (MEETING, "rem:held:12", MeetingAction.HELD, (12,)),
    (MEETING, "rem:post:12", MeetingAction.POSTPONE, (12,)),
    (MEETING, "rem:hd:12:20261201", MeetingAction.HELD_ON, (12, date(2026, 12, 1))),
    (MEETING, "rem:pd:12:20261208", MeetingAction.POSTPONE_TO, (12, date(2026, 12, 8))),
    (
        REPORT,
        "rp:o:community_duties:2026-11",
        ReportAction.OPEN,
        ("community_duties", MonthPeriod(2026, 11)),
    ),
    (REPORT, "rp:a:9:0:back", ReportAction.ACT, (9, 0, "back")),
    (REPORT, "rp:a:9:14:opt:2", ReportAction.ACT, (9, 14, "opt:2")),
    (REPORT, "rp:a:9:14:edit:fire_drills", ReportAction.ACT, (9, 14, "edit:fire_drills")),
]


@pytest.mark.parametrize(("codec", "data", "action", "values"), SENT_BEFORE)
def test_data_sent_before_decodes_and_encodes_the_same(
    codec: Codec, data: str, action: object, values: tuple
):
    decoded = codec.decode(data)
    assert decoded is not None, data
    assert (decoded.action, decoded.values) == (action, values)
    assert codec.encode(decoded.action, *decoded.values) == data


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (CASE, "c:ack:²:7"),  # "²".isdigit() is True; int("²") raises
        (CASE, "c:ack:٣:7"),  # an Arabic-Indic three: int() would take it
        (CASE, "c:ack:99999999999:7"),  # beyond PostgreSQL's integer
        (CASE, "c:ack:99999999999999999999:7"),  # beyond SQLite's 64 bits
        (CASE, f"c:ack:{INT_MAX + 1}:7"),
        (CASE, "c:ack:0:7"),
        (CASE, "c:ack:007:7"),
        (CASE, "c:ack:-1:7"),
        (CASE, "c:ack:+1:7"),
        (CASE, "c:ack: 1:7"),
        (CASE, "c:ack:1:7\n"),
        (CASE, "c:ack:1"),
        (CASE, "c:ack:1:7:9"),
        (CASE, "c:ack:1:"),
        (CASE, "c:ack"),
        (CASE, "c:rsub:"),
        (CASE, "c:rsub:1"),
        (CASE, "c:zzz"),
        (CASE, "c:"),
        (CASE, "case:ack:1:1"),
        (CASE, "x"),
        (CASE, ""),
        (CASE, "c:ack:1:" + "1" * 60),
        (WHISTLE, "wh:area:²"),
        (WHISTLE, "wh:area:99999999999"),
        (WHISTLE, "wh:urg:2"),
        (WHISTLE, "wh:dup:maybe"),
        (WHISTLE, "wh:cat:Fire"),
        (WHISTLE, "wh:cat:消防"),
        (WHISTLE, "wh:cat:fire\n"),
        (MEETING, "rem:held:99999999999"),
        (MEETING, "rem:held:99999999999999999999"),
        (MEETING, "rem:hd:1:20261340"),
        (MEETING, "rem:hd:1:2026120"),
        (MEETING, "rem:hd:1:２０２６１２０１"),  # full-width digits
        (REPORT, "rp:a:999999999999:1:back"),
        (REPORT, "rp:a:1:99999999999:back"),
        (REPORT, "rp:a:1:1:opt:²"),
        (REPORT, "rp:a:1:1:"),
        (REPORT, "rp:a:1:1:BACK"),
        (REPORT, "rp:o:community_duties:2026-13"),
        (REPORT, "rp:o:community_duties:2026-1"),
        (REPORT, "rp:o:community_duties:1999-12"),
        (REPORT, "rp:o:Duties:2026-11"),
        (REPORT, "rp:o:community_duties"),
    ],
)
def test_forged_or_garbled_data_decodes_to_none(codec: Codec, data: str):
    assert codec.decode(data) is None


def test_encoding_checks_values_and_the_64_bytes():
    assert CASE.encode(CaseAction.ACK, INT_MAX, 1) == f"c:ack:{INT_MAX}:1"
    with pytest.raises(ValueError):
        CASE.encode(CaseAction.ACK, INT_MAX + 1, 1)
    with pytest.raises(ValueError):
        CASE.encode(CaseAction.ACK, 0, 1)
    with pytest.raises(ValueError):
        CASE.encode(CaseAction.ACK, 1)  # one value missing
    with pytest.raises(ValueError):
        WHISTLE.encode(WhistleAction.CATEGORY, "消防通道")  # text never goes into data
    with pytest.raises(ValueError):
        WHISTLE.encode(WhistleAction.URGENCY, "2")
    with pytest.raises(ValueError):
        MEETING.encode(MeetingAction.HELD_ON, 1, "20261201")
    # The longest a form key and a question key can be still fits in 64 bytes ...
    longest = REPORT.encode(ReportAction.ACT, INT_MAX, INT_MAX, "edit:" + "q" * 32)
    assert len(longest.encode()) == 64
    assert REPORT.decode(longest) is not None
    # ... and anything longer is refused where it is built, not by Telegram.
    with pytest.raises(ValueError, match="over 64 bytes"):
        REPORT.encode(ReportAction.ACT, 1, 1, "a" * 60)


def test_ids_typed_in_commands():
    assert parse_id("42") == 42
    assert parse_id(str(INT_MAX)) == INT_MAX
    assert parse_id(str(BIGINT_MAX), maximum=BIGINT_MAX) == BIGINT_MAX
    assert parse_id("0", minimum=0) == 0
    for text in [
        "²",
        "٣",
        "0",
        "01",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "",
        str(INT_MAX + 1),
        "9" * 40,
    ]:
        assert parse_id(text) is None, text
    assert parse_id(str(BIGINT_MAX + 1), maximum=BIGINT_MAX) is None
