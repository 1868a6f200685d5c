"""/metrics in Prometheus format: latency per partial and cache outcome, cache outcomes, errors, pool."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from web.db import Database
from web.ops.metrics import RequestRecord

# A `*_created` series beside every counter and histogram: when it was first observed, which
# Prometheus itself does not need (it sees counter resets) and which doubles what /metrics lists.
disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PrometheusMetrics:
    """One registry per app (not the global one), so that several apps in one process stay apart."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "billable_request_duration_seconds",
            "Time to answer a request, by partial (or page route) and cache outcome.",
            ["partial", "cache"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.cache = Counter(
            "billable_partial_cache_total", "Partial cache lookups by outcome.", ["outcome"], registry=self.registry
        )
        self.errors = Counter(
            "billable_partial_errors_total",
            "Partials answered with their error state, by kind (error, timeout).",
            ["partial", "kind"],
            registry=self.registry,
        )
        self.registry.register(_PoolCollector(db))
        self._children: dict[tuple[object, ...], Any] = {}

    def observe(self, record: RequestRecord) -> None:
        self._child(self.latency, record.partial, record.cache or "none").observe(record.total_ms / 1000)
        if record.cache:
            self._child(self.cache, record.cache).inc()
        if record.status == 504:
            self.errors.labels(record.partial, "timeout").inc()
        elif record.status >= 500:
            self.errors.labels(record.partial, "error").inc()

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """metric.labels(*labels), kept: labels() validates and locks on every call, every request."""
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _PoolCollector(Collector):
    """Reads the pool when scraped, so the gauges are never stale."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self.db.pool_stats()
        for name, value, text in (
            ("billable_db_pool_size", stats.size, "Open database connections."),
            ("billable_db_pool_in_use", stats.in_use, "Database connections running a query."),
            ("billable_db_pool_max", stats.max_size, "Largest pool size."),
            ("billable_db_pool_waiting", stats.waiting, "Queries waiting for a connection."),
        ):
            yield GaugeMetricFamily(name, text, value=value)
