"""The /ops statistics: percentiles within one histogram bucket, exact merging across processes."""

from __future__ import annotations

import random

from web.ops.metrics import OpsMetrics, RequestRecord, from_snapshots, slowest_requests, summarize

NOW = 1_800_000_000.0


def record(partial: str, ms: float, *, at: float = NOW, status: int = 200, cache: str | None = "miss") -> RequestRecord:
    return RequestRecord(at, partial, f"/partials/{partial}", "", status, ms, ms / 2, 0.1, 2, cache, None, 0.0)


def exact_percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(q * len(ordered) + 0.999999) - 1)]


def test_percentiles_are_within_one_bucket() -> None:
    rng = random.Random(3)
    metrics = OpsMetrics()
    values = [rng.lognormvariate(1.5, 1.0) for _ in range(5_000)]
    for v in values:
        metrics.record(record("dashboard/revenue", v))
    [summary] = summarize(metrics, 5, now=NOW)
    assert summary.requests == 5_000
    for q, got in ((0.5, summary.p50_ms), (0.95, summary.p95_ms), (0.99, summary.p99_ms)):
        want = exact_percentile(values, q)
        assert got is not None and abs(got - want) <= 0.25 * want, (q, got, want)
    assert summary.max_ms == max(values)


def test_counts_errors_timeouts_and_cache() -> None:
    metrics = OpsMetrics()
    metrics.record(record("p", 1, cache="hit"))
    metrics.record(record("p", 1, cache="hit"))
    metrics.record(record("p", 1, cache="miss"))
    metrics.record(record("p", 5000, status=504, cache=None))
    metrics.record(record("p", 3, status=500, cache=None))
    [s] = summarize(metrics, 5, now=NOW)
    assert (s.requests, s.errors, s.timeouts) == (5, 1, 1)
    assert s.hit_ratio == 2 / 3
    assert s.mean_queries == 2


def test_windows_and_forgetting() -> None:
    metrics = OpsMetrics()
    metrics.record(record("old", 1, at=NOW - 30 * 60))
    metrics.record(record("new", 1, at=NOW))
    assert [s.partial for s in summarize(metrics, 5, now=NOW)] == ["new"]
    assert sorted(s.partial for s in summarize(metrics, 60, now=NOW)) == ["new", "old"]
    metrics.record(record("new", 1, at=NOW + 61 * 60))  # an hour later the old minutes are gone
    assert min(metrics.minutes) >= int((NOW + 61 * 60) // 60) - 60


def test_snapshots_merge_exactly() -> None:
    one, two, both = OpsMetrics(), OpsMetrics(), OpsMetrics()
    for n in range(200):
        r = record("dashboard/trend", float(n % 37) + 0.5, cache="hit" if n % 3 else "miss")
        (one if n % 2 else two).record(r)
        both.record(r)
    merged = from_snapshots([one.snapshot(), two.snapshot()])
    assert summarize(merged, 5, now=NOW) == summarize(both, 5, now=NOW)
    assert [r.total_ms for r in slowest_requests(merged, 5)] == [r.total_ms for r in slowest_requests(both, 5)]
