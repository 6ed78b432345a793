"""Prometheus metrics, one registry per Application (tests build many; none leaks into another).

Events are counted where they happen on the bot side (updates in `MeteredApplication`, deliveries
and 429s in the courier, tick steps in the scheduler); levels (outbox depth, open cases, overdue
ladders) and totals the database already keeps (escalations, reminders, bulletins) are read from
the database when /metrics is scraped (`services.ops.figures`), so every process reports the same
and services stay free of metrics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application

from services.ops import Figures, figures
from services.runtime import Runtime

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Update kinds in the order Telegram documents them; the first one present names the update.
UPDATE_KINDS = tuple(Update.ALL_TYPES)


def update_kind(update: object) -> str:
    """`message`, `callback_query`, `my_chat_member`, …; `other` for anything else."""
    if not isinstance(update, Update):
        return "other"
    for kind in UPDATE_KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


class DatabaseFigures(Collector):
    """Exposes the figures read at the last scrape (`Metrics.scrape` refreshes them)."""

    def __init__(self) -> None:
        self.latest: Figures | None = None
        self.database_up = 0

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("firegrid_database_up", "1 when the last scrape read the database")
        up.add_metric([], self.database_up)
        yield up
        f = self.latest
        if f is None:
            return
        yield _labelled(
            GaugeMetricFamily,
            "firegrid_outbox_messages",
            "Outbox rows by state",
            "state",
            f.outbox_by_state,
        )
        oldest = GaugeMetricFamily(
            "firegrid_outbox_oldest_due_age_seconds", "Age of the oldest due outbox row (0: none)"
        )
        oldest.add_metric([], f.oldest_due_age)
        yield oldest
        yield _labelled(
            GaugeMetricFamily,
            "firegrid_open_cases",
            "Cases not closed, by status",
            "status",
            f.open_cases_by_status,
        )
        overdue = GaugeMetricFamily(
            "firegrid_overdue_ladders",
            "Departments silent past their escalation time (not reported for duty)",
        )
        overdue.add_metric([], f.overdue_ladders)
        yield overdue
        escalations = CounterMetricFamily(
            "firegrid_escalations_sent", "Escalations to the leading group (case events)"
        )
        escalations.add_metric([], f.escalations)
        yield escalations
        yield _labelled(
            CounterMetricFamily,
            "firegrid_reminders",
            "Planned reminders by outcome (sent, missed, skipped)",
            "status",
            f.reminders_by_status,
        )
        yield _labelled(
            CounterMetricFamily,
            "firegrid_bulletin_builds",
            "Month-end bulletins by outcome",
            "status",
            f.bulletins_by_status,
        )
        if f.last_tick_age is not None:
            tick = GaugeMetricFamily(
                "firegrid_last_tick_age_seconds", "Seconds since the last tick"
            )
            tick.add_metric([], f.last_tick_age)
            yield tick


def _labelled(
    family: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    documentation: str,
    label: str,
    values: dict[str, int],
) -> Metric:
    metric = family(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        metric.add_metric([key], value)
    return metric


class Metrics:
    """The registry and every metric the bot keeps; one per Application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "firegrid_updates_handled", "Telegram updates handled, by kind", ["kind"], registry=r
        )
        self.handler_seconds = Histogram(
            "firegrid_update_handling_seconds",
            "Time to handle one update (all handlers, database included)",
            ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.deliveries = Counter(
            "firegrid_outbox_deliveries",
            "Outbox delivery attempts, by outcome",
            ["outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "firegrid_telegram_429", "429 Too Many Requests answers from Telegram", registry=r
        )
        self.retry_after = Counter(
            "firegrid_telegram_retry_after_seconds",
            "Sum of retry_after asked by Telegram",
            registry=r,
        )
        self.tick_step_seconds = Histogram(
            "firegrid_tick_step_seconds",
            "Duration of each scheduler tick step",
            ["step"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
            registry=r,
        )
        self.tick_step_failures = Counter(
            "firegrid_tick_step_failures", "Tick steps that raised", ["step"], registry=r
        )
        self.database = DatabaseFigures()
        r.register(self.database)

    # -- events (called by the bot side) --------------------------------------------------------

    def update_handled(self, kind: str, seconds: float) -> None:
        self.updates.labels(kind).inc()
        self.handler_seconds.labels(kind).observe(seconds)

    def delivered(self, outcome: str) -> None:
        self.deliveries.labels(outcome).inc()

    def retry_asked(self, seconds: float) -> None:
        self.rate_limited.inc()
        self.retry_after.inc(seconds)

    def tick_step(self, step: str, seconds: float, ok: bool) -> None:
        self.tick_step_seconds.labels(step).observe(seconds)
        if not ok:
            self.tick_step_failures.labels(step).inc()

    # -- exposition ----------------------------------------------------------------------------

    async def scrape(self, rt: Runtime) -> bytes:
        """Read the database's figures, then render everything in Prometheus text format."""
        try:
            async with rt.transaction() as session:
                self.database.latest = await figures(session, rt.now())
            self.database.database_up = 1
        except Exception:  # a scrape during an outage still answers, with database_up 0
            self.database.database_up = 0
        return generate_latest(self.registry)


class MeteredApplication(Application):
    """PTB's Application, counting each update and timing its handling."""

    metrics: Metrics | None = None

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            if self.metrics is not None:
                self.metrics.update_handled(update_kind(update), time.perf_counter() - started)


def metrics_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Metrics:
    metrics = getattr(app, "metrics", None)
    assert isinstance(metrics, Metrics), "build the Application with bot.app.build_application"
    return metrics
