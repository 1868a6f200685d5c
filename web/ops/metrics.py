"""Per-partial request statistics for the /ops page: what each partial cost, minute by minute.

Each process keeps, per minute and per partial, a count of requests, errors, timeouts and cache
outcomes, the sums of queries and time, and a latency histogram. Histograms merge exactly, so the
figures of several processes (shared through Redis, see `web.ops.shared`) combine into one view.
Percentiles come from the histograms: each is the upper edge of the bucket it falls in, interpolated
inside the bucket, so it is within one bucket (±12%) of the exact value.
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

# Bucket upper edges in ms: 0.05 ms to ~60 s, each 25% above the last.
BUCKETS_MS: list[float] = [0.05 * 1.25**n for n in range(64)]
KEEP_MINUTES = 60
SLOWEST_KEPT = 20


@dataclass
class RequestRecord:
    at: float  # epoch seconds
    partial: str
    path: str
    query: str
    status: int
    total_ms: float
    db_ms: float
    render_ms: float
    queries: int
    cache: str | None
    slowest_query: str | None
    slowest_query_ms: float


@dataclass
class MinuteStats:
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    hits: int = 0
    misses: int = 0
    stale: int = 0
    queries: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))

    def add(self, record: RequestRecord) -> None:
        self.requests += 1
        self.errors += record.status >= 500 and record.status != 504
        self.timeouts += record.status == 504
        self.hits += record.cache == "hit"
        self.misses += record.cache == "miss"
        self.stale += record.cache == "stale"
        self.queries += record.queries
        self.total_ms += record.total_ms
        self.max_ms = max(self.max_ms, record.total_ms)
        self.histogram[bisect.bisect_left(BUCKETS_MS, record.total_ms)] += 1

    def merge(self, other: MinuteStats) -> None:
        for name in ("requests", "errors", "timeouts", "hits", "misses", "stale", "queries", "total_ms"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_ms = max(self.max_ms, other.max_ms)
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]

    def percentile(self, q: float) -> float | None:
        if not self.requests:
            return None
        rank = q * self.requests
        seen = 0
        for index, count in enumerate(self.histogram):
            if count and seen + count >= rank:
                low = BUCKETS_MS[index - 1] if index else 0.0
                high = BUCKETS_MS[index] if index < len(BUCKETS_MS) else self.max_ms
                return min(low + (high - low) * (rank - seen) / count, self.max_ms)
            seen += count
        return self.max_ms


@dataclass(frozen=True)
class PartialSummary:
    partial: str
    requests: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float
    hit_ratio: float | None  # of requests that reached the cache
    errors: int
    timeouts: int
    mean_queries: float
    per_minute_p95: list[float | None]  # oldest first, for the latency chart


class OpsMetrics:
    """This process's statistics. Not thread-safe; used from the event loop only."""

    def __init__(self) -> None:
        self.minutes: dict[int, dict[str, MinuteStats]] = {}
        self.slowest: list[tuple[float, int, RequestRecord]] = []  # min-heap on total_ms
        self._sequence = 0
        self._minute = 0  # of the latest record: old figures are forgotten when it changes

    def record(self, record: RequestRecord) -> None:
        minute = int(record.at // 60)
        self.minutes.setdefault(minute, {}).setdefault(record.partial, MinuteStats()).add(record)
        self._sequence += 1
        entry = (record.total_ms, self._sequence, record)
        if len(self.slowest) < SLOWEST_KEPT:
            heapq.heappush(self.slowest, entry)
        elif record.total_ms > self.slowest[0][0]:
            heapq.heapreplace(self.slowest, entry)
        if minute != self._minute:
            self._minute = minute
            self._forget_before(minute - KEEP_MINUTES)

    def _forget_before(self, minute: int) -> None:
        for old in [m for m in self.minutes if m < minute]:
            del self.minutes[old]
        if self.slowest and min(r.at for _, _, r in self.slowest) < minute * 60:
            kept = [e for e in self.slowest if e[2].at >= minute * 60]
            heapq.heapify(kept)
            self.slowest = kept

    def snapshot(self) -> dict[str, Any]:
        """Plain data for sharing with other processes."""
        return {
            "minutes": {str(m): {p: asdict(s) for p, s in parts.items()} for m, parts in self.minutes.items()},
            "slowest": [asdict(r) for _, _, r in self.slowest],
        }


def from_snapshots(snapshots: Iterable[dict[str, Any]]) -> OpsMetrics:
    """One OpsMetrics holding the merged figures of several processes."""
    merged = OpsMetrics()
    for snapshot in snapshots:
        for minute, parts in snapshot["minutes"].items():
            for partial, stats in parts.items():
                target = merged.minutes.setdefault(int(minute), {}).setdefault(partial, MinuteStats())
                target.merge(MinuteStats(**stats))
        for record in snapshot["slowest"]:
            merged._sequence += 1
            heapq.heappush(merged.slowest, (record["total_ms"], merged._sequence, RequestRecord(**record)))
    merged.slowest = heapq.nlargest(SLOWEST_KEPT, merged.slowest)
    heapq.heapify(merged.slowest)
    return merged


def summarize(metrics: OpsMetrics, window_minutes: int, now: float | None = None) -> list[PartialSummary]:
    """Per-partial figures over the last `window_minutes`, busiest first."""
    current = int((now if now is not None else time.time()) // 60)
    first = current - window_minutes + 1
    totals: dict[str, MinuteStats] = {}
    series: dict[str, list[float | None]] = {}
    for minute in range(first, current + 1):
        for partial, stats in metrics.minutes.get(minute, {}).items():
            totals.setdefault(partial, MinuteStats()).merge(stats)
            series.setdefault(partial, [None] * window_minutes)[minute - first] = stats.percentile(0.95)
    summaries = []
    for partial, stats in totals.items():
        cached = stats.hits + stats.misses + stats.stale
        summaries.append(
            PartialSummary(
                partial=partial,
                requests=stats.requests,
                p50_ms=stats.percentile(0.50),
                p95_ms=stats.percentile(0.95),
                p99_ms=stats.percentile(0.99),
                max_ms=stats.max_ms,
                hit_ratio=(stats.hits + stats.stale) / cached if cached else None,
                errors=stats.errors,
                timeouts=stats.timeouts,
                mean_queries=stats.queries / stats.requests,
                per_minute_p95=series[partial],
            )
        )
    return sorted(summaries, key=lambda s: (-s.requests, s.partial))


def slowest_requests(metrics: OpsMetrics, limit: int = 10) -> list[RequestRecord]:
    return [record for _, _, record in heapq.nlargest(limit, metrics.slowest)]
