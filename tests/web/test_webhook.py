"""POST /telegram/<path>: the secret header, the queue, and the real handlers behind it."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from bot.web.webhook import SECRET_HEADER
from tests.web.conftest import SECRET, Web

HOOK = "/telegram/firegrid-hook"


async def queued_update(web: Web, text: str) -> dict:
    """What Telegram would post: a person's message (the fake queues it while detached)."""
    person = web.tg.user(1001, "丽", "王", username="wangli")
    await person.send(person.chat_id, text)
    update = web.tg.pending_updates()[-1]
    web.tg.drop_pending_updates()
    return update


def samples(body: str, name: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_an_update_with_the_secret_is_handled_by_the_real_bot(web: Web):
    update = await queued_update(web, "/help")
    answer = await web.client.post(HOOK, json=update, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 200
    await web.tg.wait_until(lambda: web.tg.count_messages(1001, from_bot=True) > 0, timeout=10)
    assert (
        "/whistle" in web.tg.last_message(1001).text or "协调员" in web.tg.last_message(1001).text
    )

    body = (await web.client.get("/metrics")).text
    assert samples(body, "firegrid_updates_handled_total") == {(("kind", "message"),): 1.0}
    assert samples(body, "firegrid_update_handling_seconds_count") == {(("kind", "message"),): 1.0}


async def test_without_the_right_secret_it_is_403_and_nothing_is_queued(web: Web):
    update = await queued_update(web, "/help")
    missing = await web.client.post(HOOK, json=update)
    wrong = await web.client.post(HOOK, json=update, headers={SECRET_HEADER: "guess" * 8})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert web.app.update_queue.empty()
    await asyncio.sleep(0)
    assert web.tg.count_messages(1001, from_bot=True) == 0


async def test_another_path_is_404_and_a_non_update_is_400(web: Web):
    update = await queued_update(web, "/help")
    elsewhere = await web.client.post(
        "/telegram/other", json=update, headers={SECRET_HEADER: SECRET}
    )
    garbage = await web.client.post(HOOK, content=b"{not json", headers={SECRET_HEADER: SECRET})
    not_update = await web.client.post(HOOK, json=[1, 2], headers={SECRET_HEADER: SECRET})
    assert (elsewhere.status_code, garbage.status_code, not_update.status_code) == (404, 400, 400)
    assert web.app.update_queue.empty()
