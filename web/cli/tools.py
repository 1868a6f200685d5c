"""`billable bench` and `billable load`: the tool beside the app (bench/), run from here."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
from pathlib import Path

from web.cli.common import users, workers
from web.db.seed import SIZES
from web.settings import Settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """bench, load."""
    bench = commands.add_parser(
        "bench",
        help="benchmark naive vs gather vs Billable on a seeded dataset",
        description="Seed (or reuse) a dataset in database billable_bench_SIZE and a copy of it with plain "
        "indexes in billable_bench_SIZE_plain, start the app, and measure the naive dashboard, the "
        "gather-and-cache fix (on each database) and Billable side by side; print a table and ratios.",
    )
    bench.add_argument("--size", choices=list(SIZES), default="s", help="dataset size (default: s)")
    bench.add_argument("--json", type=Path, help="also write the results to this JSON file")
    bench.add_argument(
        "--chart",
        type=Path,
        help="also draw a chart (SVG): cold time vs dataset size from the latest run of each size, this one "
        "included; with --browser, each mode beside the static reference",
    )
    bench.add_argument(
        "--browser",
        action="store_true",
        help="measure in a real Chromium instead (Debian's chromium and Playwright, from the test extra)",
    )
    bench.add_argument(
        "--http2",
        action="store_true",
        help="with --browser: also through nginx terminating TLS, over HTTP/2 and over HTTP/1.1 (needs nginx)",
    )
    bench.add_argument("--load-users", type=int, default=50, help="simulated users under load (default: 50)")
    bench.add_argument("--load-seconds", type=float, default=20.0, help="length of the load test (default: 20)")
    bench.set_defaults(handler=_bench)

    load_cmd = commands.add_parser(
        "load",
        help="many staff on the app at once, on several workers: latencies, errors, lost writes, memory",
        description="Seed (or reuse) database billable_load_SIZE, serve it with --workers processes, and "
        "simulate --users staff for --seconds: dashboards, filter changes, client pages, CSV exports (some "
        "cut mid-download) and time logged. Prints requests, p50/p95/p99 and errors per kind, writes "
        "acknowledged against those stored, connections still busy, and each worker's memory early and late.",
    )
    load_cmd.add_argument("--users", type=users, default=100, help="simulated staff (default: 100)")
    load_cmd.add_argument("--seconds", type=float, default=120.0, help="how long, measured (default: 120)")
    load_cmd.add_argument(
        "--warmup",
        type=float,
        default=30.0,
        help="traffic before the measured run, left out of its figures (default: 30)",
    )
    load_cmd.add_argument("--workers", type=workers, default=2, help="app processes (default: 2)")
    load_cmd.add_argument("--size", choices=list(SIZES), default="s", help="dataset size (default: s)")
    load_cmd.add_argument("--json", type=Path, help="also write the results to this JSON file")
    load_cmd.set_defaults(handler=_load)


def _needs_bench_extra() -> None:
    """`billable bench` and `load` run the tool beside the app (bench/), whose libraries come with
    the bench extra: without them, say how to install it rather than fail on an import."""
    missing = [module for module in ("httpx2", "bs4", "psutil") if importlib.util.find_spec(module) is None]
    if missing:
        raise ValueError(
            f"this command needs the bench extra (missing {', '.join(missing)}): pip install -e '.[bench]'"
        )


def _load(args: argparse.Namespace, settings: Settings) -> int:
    _needs_bench_extra()
    from bench.runner import BenchConfig, run_load

    if args.seconds <= 0 or args.warmup < 0:
        raise ValueError("--seconds must be positive, --warmup 0 or more")
    results = run_load(
        BenchConfig(args.size),
        settings,
        args.json,
        users=args.users,
        warmup=args.warmup,
        seconds=args.seconds,
        workers=args.workers,
    )
    return 0 if results["writes_found"] >= results["writes_acknowledged"] else 1


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    _needs_bench_extra()
    from bench.runner import BenchConfig, run, run_browser

    if args.load_users < 1 or args.load_seconds <= 0:
        raise ValueError("--load-users and --load-seconds must be positive")
    for option, path in (("--json", args.json), ("--chart", args.chart)):
        # Checked now, not after minutes of measuring.
        if path is not None and not path.resolve().parent.is_dir():
            raise ValueError(f"{option} {path}: there is no folder {path.resolve().parent}")
    quick = args.load_seconds < 5  # a smoke run (the test's): fewer and shorter measurements
    config = BenchConfig(
        args.size, args.load_users, args.load_seconds, 1.0 if quick else 3.0, 2 if quick else 5, 6 if quick else 30
    )
    if args.browser:
        if importlib.util.find_spec("playwright") is None or not shutil.which("chromium"):
            raise ValueError(
                "--browser needs Playwright (pip install -e '.[test]') and chromium (apt-get install chromium)"
            )
        run_browser(config, settings, args.json, args.chart, http2=args.http2)
        return 0
    run(config, settings, args.json, args.chart)
    return 0
