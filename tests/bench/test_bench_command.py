"""`billable bench --size tiny` keeps working (the benchmark itself is not a test: see docs/performance.md)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from bench.baselines import PLAIN_INDEX_NAME
from web.db.server import with_database

KEYS = {"shell_ttfb_ms", "cold_all_partials_ms", "warm_all_partials_ms", "queries_cold", "peak_rss_mb"}
BASELINES = ("naive", "gather", "naive_trend_one_scan", "naive_billable_indexes", "gather_billable_indexes")
BILLABLE_KEYS = {
    "speedup_cold_vs_naive",
    "speedup_cold_vs_gather",
    "speedup_cold_vs_naive_trend_one_scan",
    "speedup_cold_vs_naive_billable_indexes",
    "speedup_cold_vs_gather_billable_indexes",
    "shell_rps_vs_bare",
    "cached_partial_rps_vs_bare",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "errors",
    "sign_in_burst_p99_quiet_ms",
    "sign_in_burst_p99_ms",
    "sign_in_burst_p99_ratio",
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
    for mode in (*BASELINES, "billable"):
        assert set(figures[mode]) >= KEYS, mode
        assert figures[mode]["cold_all_partials_ms"] > 0
    assert set(figures["billable"]) >= BILLABLE_KEYS
    assert figures["billable"]["errors"] == 0
    assert figures["billable"]["sign_in_burst"] == 6  # a smoke run's burst (30 in a real one)
    assert figures["naive"]["queries_cold"] > figures["billable"]["queries_cold"] > 0
    # both copies of the baselines ask the same queries, each of its own database, and time them
    assert figures["naive"]["queries_cold"] == figures["naive_billable_indexes"]["queries_cold"]
    # reading the trend's twelve months in one scan replaces eleven of naive's queries
    assert figures["naive_trend_one_scan"]["queries_cold"] == figures["naive"]["queries_cold"] - 11
    assert 0 < figures["naive"]["cold_db_ms"] < figures["naive"]["cold_all_partials_ms"]
    assert "billable cold:" in result.stdout and "faster than naive" in result.stdout
    # the copy's entries have their primary key and a plain index on client_id; Billable's keep theirs
    plain = asyncio.run(_indexes_of_entries(server_url, "billable_bench_tiny_plain"))
    assert plain == {"timesheet_entries_pkey", PLAIN_INDEX_NAME}
    own = asyncio.run(_indexes_of_entries(server_url, "billable_bench_tiny"))
    assert {"timesheet_entries_client_date_idx", "timesheet_entries_date_idx"} <= own
    chart = (tmp_path / "chart.svg").read_text()
    assert chart.startswith("<svg") and chart.count("<polyline") == 6
    assert "tiny: 2k entries" in chart
    assert json.loads((tmp_path / "bench" / "tiny.json").read_text()) == figures


async def _indexes_of_entries(server_url: str, database: str) -> set[str]:
    conn = await asyncpg.connect(with_database(server_url, database))
    try:
        rows = await conn.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'timesheet_entries'")
    finally:
        await conn.close()
    return {row["indexname"] for row in rows}
