"""Telegram's 409 Conflict: two pollers on one token, and getUpdates while a webhook is set."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import BadRequest, Conflict

from faketg import FakeRequest, FakeTelegram


def make_bot(tg: FakeTelegram) -> Bot:
    return Bot("123:ABC", request=FakeRequest(tg), get_updates_request=FakeRequest(tg))


async def test_a_second_poller_ends_the_waiting_one_with_409():
    tg = FakeTelegram()
    first, second = make_bot(tg), make_bot(tg)
    async with first, second:
        waiting = asyncio.create_task(first.get_updates(timeout=30))
        await tg.wait_until(lambda: tg.polling, timeout=5)
        # The newcomer is served; the request that was waiting is terminated, as in Telegram.
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting
    assert [c.status for c in tg.calls_to("getUpdates")] == [200, 409]


async def test_get_updates_while_a_webhook_is_set_is_409_until_deleted():
    tg = FakeTelegram()
    bot = make_bot(tg)
    async with bot:
        assert await bot.set_webhook(
            "https://bot.example.org/telegram/x",
            secret_token="s3cret_-",
            allowed_updates=["message"],
        )
        info = await bot.get_webhook_info()
        assert info.url == "https://bot.example.org/telegram/x"
        assert info.allowed_updates == ("message",)
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates(timeout=0) == ()


async def test_setting_a_webhook_ends_a_waiting_poll_with_409():
    tg = FakeTelegram()
    poller, other = make_bot(tg), make_bot(tg)
    async with poller, other:
        waiting = asyncio.create_task(poller.get_updates(timeout=30))
        await tg.wait_until(lambda: tg.polling, timeout=5)
        await other.set_webhook("https://bot.example.org/hook")
        with pytest.raises(Conflict, match="webhook is active"):
            await waiting


async def test_set_webhook_refuses_plain_http_and_a_bad_secret():
    tg = FakeTelegram()
    bot = make_bot(tg)
    async with bot:
        with pytest.raises(BadRequest, match=r"(?i)https url"):
            await bot.set_webhook("http://bot.example.org/hook")
        with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
            await bot.set_webhook("https://bot.example.org/hook", secret_token="秘密")
        assert tg.webhook is None
