"""`billable bench --size tiny` keeps working (the benchmark itself is not a test: see docs/performance.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

KEYS = {"shell_ttfb_ms", "cold_all_partials_ms", "warm_all_partials_ms", "queries_cold", "peak_rss_mb"}
BILLABLE_KEYS = {
    "speedup_cold_vs_naive",
    "speedup_cold_vs_gather",
    "shell_rps_vs_bare",
    "cached_partial_rps_vs_bare",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "errors",
}


def test_bench_tiny_writes_every_figure(server_url: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "DATABASE_URL": server_url, "BILLABLE_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "web",
            "bench",
            "--size",
            "tiny",
            "--load-users",
            "5",
            "--load-seconds",
            "1",
            "--json",
            str(out),
            "--chart",
            str(tmp_path / "chart.svg"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(out.read_text())
    for mode in ("naive", "gather", "billable"):
        assert set(figures[mode]) >= KEYS, mode
        assert figures[mode]["cold_all_partials_ms"] > 0
    assert set(figures["billable"]) >= BILLABLE_KEYS
    assert figures["billable"]["errors"] == 0
    assert figures["naive"]["queries_cold"] > figures["billable"]["queries_cold"] > 0
    assert "billable cold:" in result.stdout and "faster than naive" in result.stdout
    chart = (tmp_path / "chart.svg").read_text()
    assert chart.startswith("<svg") and chart.count("<polyline") == 3
    assert "tiny: 2k entries" in chart
    assert json.loads((tmp_path / "bench" / "tiny.json").read_text()) == figures
