"""One Button for the services, one keyboard for Telegram: what the outbox stores is what is sent."""

from __future__ import annotations

import pytest

from handlers.buttons import keyboard
from services.outbox import Button


def test_a_button_survives_the_outbox_row():
    for button in (Button("报到", "c:ack:1:2"), Button("打开", url="https://example.org/a")):
        assert Button.from_json(button.as_json()) == button


@pytest.mark.parametrize("data", ["", "x" * 65, "报" * 22])
def test_callback_data_must_be_1_to_64_bytes(data: str):
    with pytest.raises(ValueError, match=r"1\.\.64 bytes"):
        Button("报到", data).as_json()


def test_keyboard_sends_callback_data_or_a_url_row_by_row():
    markup = keyboard([[Button("报到", "c:ack:1:2"), Button("看", url="https://example.org/a")]])
    assert markup is not None
    [[ack, link]] = markup.inline_keyboard
    assert (ack.text, ack.callback_data, ack.url) == ("报到", "c:ack:1:2", None)
    assert (link.text, link.callback_data, link.url) == ("看", None, "https://example.org/a")
    assert keyboard([]) is None
