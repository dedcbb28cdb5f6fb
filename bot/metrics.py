"""Prometheus metrics of one instance: counters the kernel bumps as it works, and database facts read per scrape.

Each process keeps its own counters; with several instances on one database, scrape every instance (the database
facts, such as the outbox backlog, are the same from each).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast

from lianfang.bot.db import session_scope
from lianfang.models.alerts import count_unacknowledged
from lianfang.models.outbox import backlog_by_platform
from lianfang.models.send_ledger import KIND_REPORT, count_kind
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "lianfang"
PLATFORM = "platform"
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; p50 and p99 of handling time come from these with ``histogram_quantile``."""

REGISTRY = CollectorRegistry(auto_describe=True)
"""The counters of this process (one instance per process)."""

UPDATES = Counter(f"{PREFIX}_updates", "Messages and taps received, per platform", ["platform"], registry=REGISTRY)
FORM_STEPS = Counter(f"{PREFIX}_form_steps", "Answers given to forms, per form", ["form"], registry=REGISTRY)
SENDS = Counter(f"{PREFIX}_outbox_sends", "Outbox messages delivered, per platform", ["platform"], registry=REGISTRY)
FAILURES = Counter(
    f"{PREFIX}_outbox_failures", "Failed send attempts (retried or not), per platform", ["platform"], registry=REGISTRY
)
THROTTLED = Counter(
    f"{PREFIX}_outbox_throttled", "Sends the platform refused with a wait (HTTP 429)", ["platform"], registry=REGISTRY
)
REDELIVERIES = Counter(
    f"{PREFIX}_redeliveries",
    "Deliveries a platform sent again (a WeCom callback retried after 5 s), recognised and not handled twice",
    ["platform"],
    registry=REGISTRY,
)
TICKS = Counter(f"{PREFIX}_scheduler_ticks", "Scheduled loop ticks started on this instance", registry=REGISTRY)
HANDLING = Histogram(
    f"{PREFIX}_handling_seconds",
    "Time to handle one incoming message and deliver its replies",
    ["platform"],
    buckets=HANDLING_BUCKETS,
    registry=REGISTRY,
)


M = TypeVar("M", Counter, Histogram)
_CHILDREN: dict[tuple[int, str], Counter | Histogram] = {}


def _child(metric: M, label: str) -> M:
    """Return a metric's child for one label value, looked up once: the kernel bumps them for every message.

    The label values are few and fixed (the platforms, the forms), so the cache stays small.
    """
    key = (id(metric), label)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(label)
    return cast(M, child)


class _LastTick:
    """When the scheduler last ticked on this instance (wall-clock seconds); None before the first tick."""

    at: float | None = None


LAST_TICK = _LastTick()


def form_step(form: str) -> None:
    """Count one answer to a form."""
    _child(FORM_STEPS, form).inc()


def sent(platform: str, count: int = 1) -> None:
    """Count messages delivered."""
    _child(SENDS, platform).inc(count)


def send_failed(platform: str, *, throttled: bool) -> None:
    """Count a failed send attempt, and whether the platform asked us to wait (429)."""
    FAILURES.labels(platform=platform).inc()
    if throttled:
        THROTTLED.labels(platform=platform).inc()


def redelivered(platform: str) -> None:
    """Count a delivery the platform sent again, recognised by its id and not handled twice."""
    REDELIVERIES.labels(platform=platform).inc()


def ticked() -> None:
    """Record that the scheduler ticked now."""
    TICKS.inc()
    LAST_TICK.at = time.time()


@contextmanager
def handling(platform: str) -> Iterator[None]:
    """Count one incoming message and time its handling."""
    _child(UPDATES, platform).inc()
    start = time.perf_counter()
    try:
        yield
    finally:
        _child(HANDLING, platform).observe(time.perf_counter() - start)


@dataclass(frozen=True)
class Facts:
    """What the scrape reads of the instance besides its counters."""

    engine: Engine
    is_leader: Callable[[], bool]
    clock: Callable[[], datetime]
    """The instance's clock, which outbox times are in (a drill's is simulated)."""
    wall_clock: Callable[[], float] = time.time
    platforms: Callable[[], Collection[str]] = tuple
    """The platforms the instance serves: their outbox gauges are shown even at 0."""


class FactsCollector(Collector):
    """Gauges computed at scrape time: leadership, last tick age, DB pool, and database facts (indexed counts)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts

    def collect(self) -> Iterable[Metric]:
        """Yield the gauges; database facts are left out (and logged) when the database does not answer."""
        facts = self.facts
        yield _gauge("scheduler_leader", "1 if this instance runs the scheduled loop", float(facts.is_leader()))
        if LAST_TICK.at is not None:
            age = max(0.0, facts.wall_clock() - LAST_TICK.at)
            yield _gauge("scheduler_last_tick_age_seconds", "Seconds since the scheduler last ticked", age)
        pool = facts.engine.pool
        checked_out = getattr(pool, "checkedout", None)
        size = getattr(pool, "size", None)
        if callable(checked_out):
            yield _gauge("db_pool_checked_out", "Database connections in use", float(checked_out()))
        if callable(size):
            yield _gauge("db_pool_size", "Database connections the pool keeps", float(size()))
        yield from self._database()

    def _database(self) -> Iterator[Metric]:
        try:
            with session_scope(self.facts.engine) as session:
                waiting = backlog_by_platform(session=session)
                reports = count_kind(session=session, kind=KIND_REPORT)
                alerts = count_unacknowledged(session=session)
        except Exception:
            logger.warning("metrics: the database did not answer", exc_info=True)
            yield _gauge("db_up", "1 if the database answered the scrape", 0.0)
            return
        yield _gauge("db_up", "1 if the database answered the scrape", 1.0)
        now = self.facts.clock()
        platforms = sorted(set(self.facts.platforms()) | set(waiting))
        counts = GaugeMetricFamily(
            f"{PREFIX}_outbox_backlog", "Outbox messages waiting to be delivered, per platform", labels=[PLATFORM]
        )
        ages = GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_age_seconds",
            "Age of the oldest outbox message waiting, per platform",
            labels=[PLATFORM],
        )
        for platform in platforms:
            count, oldest = waiting.get(platform, (0, now))
            counts.add_metric([platform], float(count))
            ages.add_metric([platform], max(0.0, (now - oldest).total_seconds()))
        yield counts
        yield ages
        yield _gauge("reports_sent", "Merged daily reports sent (one per day)", float(reports))
        yield _gauge("alerts_unacknowledged", "Urgent alerts nobody has acknowledged", float(alerts))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def scrape(facts: Facts) -> bytes:
    """Return the Prometheus text exposition of this process's counters and the instance's facts."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FactsCollector(facts))
    return generate_latest(REGISTRY) + generate_latest(registry)
