"""`billable load`, briefly (the soak runs for minutes; CI runs six seconds of it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_a_short_load_loses_nothing_and_leaves_nothing_busy(server_url: str, tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    args = ["load", "--users", "20", "--warmup", "1", "--seconds", "6", "--workers", "2", "--size", "tiny"]
    args += ["--json", str(out)]
    env = {**os.environ, "DATABASE_URL": server_url, "BILLABLE_DATA_DIR": str(tmp_path)}
    ran = subprocess.run([sys.executable, "-m", "web", *args], env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    results = json.loads(out.read_text())
    assert all(kind["requests"] > 0 for kind in results["kinds"].values()), results["kinds"]
    assert sum(kind["errors"] for kind in results["kinds"].values()) == 0, results["error_samples"]
    assert results["warmup"]["requests"] > 0 and results["warmup"]["errors"] == []  # counted apart
    assert results["aborted_exports"] > 0  # some downloads were cut mid-way ...
    assert results["connections_busy_at_end"] == 0  # ... and held nothing afterwards
    assert results["writes_acknowledged"] > 0
    assert results["writes_found"] == results["writes_acknowledged"]
    assert results["writes_refused"] == 0
    assert len(results["memory"]) == 2  # each worker watched, from before its first request
    assert all(0 < memory["idle_mib"] <= memory["last_mib"] for memory in results["memory"].values())
    assert "writes acknowledged:" in ran.stdout and "p99 ms" in ran.stdout
