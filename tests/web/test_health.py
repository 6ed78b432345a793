"""/healthz, /readyz (database, last tick, outbox age) and /metrics over the real Application."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.app import tick_once
from bot.db import make_engine, make_sessions
from services.clock import FakeClock
from services.ops import readiness
from services.outbox import Outgoing, enqueue
from services.runtime import Runtime
from tests.web.conftest import Web


def metric(body: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


async def test_healthz_answers_while_the_process_lives(web: Web):
    answer = await web.client.get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok\n")


async def test_readyz_follows_the_tick_and_reports_the_oldest_due_message(web: Web):
    before = await web.client.get("/readyz")
    assert before.status_code == 503
    assert before.json()["reason"] == "the tick has not run yet"
    assert before.json()["database"] is True

    await tick_once(web.app)
    ready = await web.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert ready.json()["last_tick_age_seconds"] == 0

    rt = web.app.bot_data.runtime
    async with rt.transaction() as session:
        # A chat that does not exist: it stays due, as a stuck queue would.
        await enqueue(session, Outgoing(text="测试"), chat_id=424242, now=rt.now())
    web.clock.advance(timedelta(seconds=89))
    still = (await web.client.get("/readyz")).json()
    assert still["ready"] is True  # 89 s < 3 ticks of 30 s
    assert still["oldest_due_outbox_age_seconds"] == 89

    web.clock.advance(timedelta(seconds=2))
    late = await web.client.get("/readyz")
    assert late.status_code == 503
    assert "more than 3 ticks" in late.json()["reason"]


async def test_readiness_without_a_database_is_an_answer_not_an_error(clock: FakeClock):
    engine = make_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:9/none", connect_args={"timeout": 2}
    )
    rt = Runtime(sessions=make_sessions(engine), org=None, clock=clock)  # type: ignore[arg-type]
    state = await readiness(rt, clock.now(), 30)
    await engine.dispose()
    assert (state.ready, state.database) == (False, False)
    assert state.reason is not None and state.reason.startswith("database")


async def test_metrics_read_the_database_and_count_tick_steps(web: Web):
    rt = web.app.bot_data.runtime
    async with rt.transaction() as session:
        await enqueue(session, Outgoing(text="一"), chat_id=-100999, now=rt.now())
    web.clock.advance(timedelta(seconds=5))
    body = (await web.client.get("/metrics")).text
    assert metric(body, "firegrid_database_up") == 1
    assert metric(body, "firegrid_outbox_messages", state="pending") == 1
    assert metric(body, "firegrid_outbox_oldest_due_age_seconds") == 5
    assert metric(body, "firegrid_overdue_ladders") == 0
    assert metric(body, "firegrid_escalations_sent_total") == 0

    await tick_once(web.app)  # no such group: re-routed to the coordinators
    body = (await web.client.get("/metrics")).text
    assert metric(body, "firegrid_tick_step_seconds_count", step="heartbeat_step") == 1
    assert metric(body, "firegrid_tick_step_seconds_count", step="step") == 1  # the cases ladder
    assert metric(body, "firegrid_outbox_deliveries_total", outcome="rerouted") == 1
    assert metric(body, "firegrid_last_tick_age_seconds") == 0
