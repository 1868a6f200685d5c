"""`billable bench`: naive vs gather vs Billable, measured side by side in one run.

Seeds (or reuses) a dataset in a database of its own, starts the app in a separate process with the
baseline routes on, and measures each mode through HTTP as a browser would. See docs/performance.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import psutil
import uvloop

from bench import baselines
from bench.chart import browser_svg, cold_vs_size_svg
from bench.http import Pool, Reply, login_form_token, session_csrf_token
from bench.proxy import free_port
from web.db import Database
from web.db.migrate import migrate
from web.db.seed import SIZES, seed
from web.db.server import database_exists, recreate_database, start_embedded, with_database
from web.queries.users import UserExists, add_user
from web.settings import Settings

BENCH_EMAIL = "bench@billable.test"
BENCH_PASSWORD = secrets.token_urlsafe(12)
CONNECTIONS = 6  # what a browser opens per host
# Raised whenever what the modes measure changes (3: the baselines compute the six cards' figures,
# on the app's database and on the plain-index copy; 4: the headline baselines are those on the
# copy, the "before", and those on Billable's own indexes are reported beside them; 5: active
# and new clients by the status history of migration 0017), so that results saved by an older
# benchmark are not drawn beside new ones.
METHOD = 5
# The baselines (see bench/baselines.py): the headline "naive" and "gather" on the copy whose
# entries have a first version's indexes, as the issue's reference ("card figures by scanning
# entries"); beside them, naive on the copy reading the trend's twelve months in one scan, and the
# two on Billable's own database, with every index Billable added.
BASELINES = {
    "naive": "/bench/naive?indexes=plain",
    "gather": "/bench/gather?indexes=plain",
    "naive_trend_one_scan": "/bench/naive?indexes=plain&trend=one_scan",
    "naive_billable_indexes": "/bench/naive",
    "gather_billable_indexes": "/bench/gather",
}
# Modes that keep nothing between requests: a warm pass is the cold one's work again, measured in the
# first pass only.
UNCACHED = {"naive", "naive_trend_one_scan", "naive_billable_indexes"}
# The baselines on the copy take seconds a page (naive 21-22 s on dataset l on a slow machine): they
# are measured in the odd passes only, a median of three (their passes differ by a few per cent),
# which keeps a run on l from nothing near 400 s there; five would add about 70 s.
ODD_PASSES_ONLY = {"naive", "gather", "naive_trend_one_scan"}
# Billable's passes take a tenth of a second and vary by up to 2x from one to the next (l: 84-169 ms
# in one run): three cold-then-warm pairs per pass make its medians of 15, stable enough to compare
# sizes (the s -> l target), for a second more per run.
REPEATS = {"billable": 3}


@dataclass
class BenchConfig:
    size: str
    load_users: int = 50
    load_seconds: float = 20.0
    throughput_seconds: float = 3.0
    passes: int = 5  # cold-then-warm passes per mode
    sign_ins: int = 30  # at once, while cached partials are timed (issue #19)
    out: Callable[[str], None] = print


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base: str
    peak_rss: float = 0.0
    _sampler: asyncio.Task[None] | None = field(default=None, repr=False)

    async def sample_rss(self) -> None:
        proc = psutil.Process(self.process.pid)
        while True:
            self.peak_rss = max(self.peak_rss, proc.memory_info().rss / 2**20)
            await asyncio.sleep(0.05)

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def reset_peak(self) -> None:
        self.peak_rss = psutil.Process(self.process.pid).memory_info().rss / 2**20


@dataclass
class _ModeRuns:
    colds: list[dict[str, Any]] = field(default_factory=list)
    warms: list[dict[str, Any]] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    peak_rss: float = 0.0


def run(
    config: BenchConfig, settings: Settings, json_path: Path | None, chart_path: Path | None = None
) -> dict[str, Any]:
    started = time.monotonic()
    server_url = settings.database_url or start_embedded(settings.data_dir)
    url, plain_url, seeded_s, postgres = asyncio.run(_prepare_databases(config, settings, server_url))
    server = _start_server(url, plain_url)
    try:
        # uvloop on the measuring side too: 50 simulated users must not wait for the client's own loop.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            results = runner.run(_measure(config, server))
    finally:
        server.process.send_signal(signal.SIGINT)
        server.process.wait(30)
    results["meta"] = {
        "size": config.size,
        "seed_seconds": seeded_s,
        "total_seconds": time.monotonic() - started,
        "at": datetime.now().isoformat(timespec="seconds"),
        "rows": 50,
        "method": METHOD,
        "postgres": postgres,
    }
    _print_table(results, config.out)
    if json_path:
        json_path.write_text(json.dumps(results, indent=2))
        config.out(f"wrote {json_path}")
    # Each size's latest results are kept, so that a chart can put the sizes side by side.
    saved = settings.data_dir / "bench"
    saved.mkdir(parents=True, exist_ok=True)
    (saved / f"{config.size}.json").write_text(json.dumps(results, indent=2))
    if chart_path:
        by_size = {f.stem: json.loads(f.read_text()) for f in saved.glob("*.json") if f.stem in SIZES}
        # Only results measured the same way, on the same PostgreSQL, share a chart.
        this_kind = {"method": METHOD, "postgres": postgres}
        by_size = {size: r for size, r in by_size.items() if r.get("meta", {}).items() >= this_kind.items()}
        chart_path.write_text(cold_vs_size_svg(by_size))
        config.out(f"wrote {chart_path} (sizes {', '.join(sorted(by_size, key=lambda k: SIZES[k].entries))})")
    return results


def run_browser(
    config: BenchConfig,
    settings: Settings,
    json_path: Path | None,
    chart_path: Path | None = None,
    *,
    http2: bool = False,
) -> dict[str, Any]:
    """`billable bench --browser`: the dashboard in a real Chromium, per mode, beside its reference;
    with `http2`, also through a TLS proxy over HTTP/2 and over HTTP/1.1 (bench/proxy.py)."""
    from bench.browser import MODES, measure_browser, measure_protocols
    from bench.proxy import tls_proxy

    started = time.monotonic()
    server_url = settings.database_url or start_embedded(settings.data_dir)
    url, plain_url, seeded_s, postgres = asyncio.run(_prepare_databases(config, settings, server_url))
    secret = secrets.token_urlsafe(32)  # one session for both servers
    servers: dict[str, ServerProcess] = {}
    try:
        for mode in MODES:  # one by one: a server that fails to start leaves none running
            servers[mode] = _start_server(url, plain_url, partials=mode, secret=secret)
        results = measure_browser(
            {mode: server.base for mode, server in servers.items()}, BENCH_EMAIL, BENCH_PASSWORD, config.out
        )
        if http2:
            with tls_proxy({mode: server.port for mode, server in servers.items()}) as bases:
                results |= measure_protocols(bases, BENCH_EMAIL, BENCH_PASSWORD, config.out)
    finally:
        for server in servers.values():
            server.process.send_signal(signal.SIGINT)
            server.process.wait(30)
    results["meta"] = {"size": config.size, "seed_seconds": seeded_s, "postgres": postgres}
    results["meta"] |= {"total_seconds": time.monotonic() - started, "at": datetime.now().isoformat(timespec="seconds")}
    width = max(len(key) for key in results)
    for key, value in results.items():
        if key != "meta":
            config.out(f"{key:<{width}}  {value:10.3f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    if json_path:
        json_path.write_text(json.dumps(results, indent=2))
        config.out(f"wrote {json_path}")
    if chart_path:
        chart_path.write_text(browser_svg(results))
        config.out(f"wrote {chart_path}")
    return results


async def _prepare_databases(config: BenchConfig, settings: Settings, server_url: str) -> tuple[str, str, float, str]:
    """The bench database and its plain-index copy: their URLs, the seconds seeding took, and
    PostgreSQL's major version."""
    url, seeded_s, postgres, stamp = await _prepare_database(config, settings, server_url)
    return url, await _prepare_plain_copy(config, server_url, stamp), seeded_s, postgres


async def _prepare_database(
    config: BenchConfig, settings: Settings, server_url: str, purpose: str = "bench"
) -> tuple[str, float, str, tuple[int, ...]]:
    """The bench (or load) database, seeded: its URL, the seconds seeding took, PostgreSQL's major
    version and the data's stamp."""
    name = f"billable_{purpose}_{config.size}"
    url = with_database(server_url, name)
    if not await database_exists(server_url, name):
        await recreate_database(server_url, name)
    seeded_s = 0.0
    async with Database(url, min_size=1, max_size=2, timezone=settings.timezone) as db:
        await migrate(db)
        size = SIZES[config.size]
        if await db.fetch_val("SELECT count(*) FROM clients") != size.clients:
            config.out(f"bench: seeding size {config.size} ({size.entries:,} entries)…")
            seed_started = time.monotonic()
            await seed(db, size, today=datetime.now(settings.tz).date(), reset=True, progress=config.out)
            seeded_s = time.monotonic() - seed_started
        try:
            await add_user(
                db,
                email=BENCH_EMAIL,
                name="Bench",
                role="admin",
                password=BENCH_PASSWORD,
                today=datetime.now(settings.tz).date(),
                weekly_minutes=0,  # no time of its own: the team's utilization stays as seeded
            )
        except UserExists:
            await db.execute("UPDATE users SET role = 'admin', disabled = false WHERE email = :e", e=BENCH_EMAIL)
        from web.queries.users import set_password

        await set_password(db, BENCH_EMAIL, BENCH_PASSWORD)
        postgres = str(await db.fetch_val("SELECT current_setting('server_version_num')::int / 10000"))
        stamp = await _data_stamp(db)
    return url, seeded_s, postgres, stamp


async def _prepare_plain_copy(config: BenchConfig, server_url: str, stamp: tuple[int, ...]) -> str:
    """The baselines' copy of the data with plain indexes (see baselines.PLAIN_INDEX), made again
    unless it holds the data `stamp` describes, with those indexes."""
    source = f"billable_bench_{config.size}"
    name = f"{source}_plain"
    plain_url = with_database(server_url, name)
    if await database_exists(server_url, name):
        async with Database(plain_url, min_size=1, max_size=1) as copy:
            if await _free_entry_indexes(copy) == {baselines.PLAIN_INDEX_NAME} and await _data_stamp(copy) == stamp:
                return plain_url
    config.out(f"bench: copying the data for the baselines with plain indexes ({name})…")
    try:
        await recreate_database(server_url, name, copy_of=source)
    except asyncpg.ObjectInUseError:
        raise RuntimeError(
            f"could not copy {source}: another session is connected to it (a `billable serve` on it?); "
            "stop it and run the benchmark again"
        ) from None
    async with Database(plain_url, min_size=1, max_size=1) as copy:
        for index in await _free_entry_indexes(copy):
            await copy.execute(f'DROP INDEX "{index}"')
        await copy.execute(baselines.PLAIN_INDEX)
    return plain_url


async def _free_entry_indexes(db: Database) -> set[str]:
    """The entries' indexes that no constraint (the primary key) rests on."""
    rows = await db.fetch_all(
        "SELECT i.indexrelid::regclass::text AS name FROM pg_index i"
        " WHERE i.indrelid = 'timesheet_entries'::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    )
    return {row["name"] for row in rows}


async def _data_stamp(db: Database) -> tuple[int, ...]:
    """Enough to tell two copies of a seeded dataset apart (counts, the last ids, and from the monthly
    rollup the amounts and the last month, which move when a seed on another day shifts the dates),
    and two schemas (a migration since the copy was made)."""
    row = await db.fetch_one(
        "SELECT (SELECT count(*) FROM clients) AS clients, (SELECT max(id) FROM services) AS services,"
        " (SELECT max(id) FROM timesheet_entries) AS entries, (SELECT count(*) FROM schema_migrations) AS migrations,"
        " sum(amount_cents) AS cents, sum(minutes) AS minutes, max(month) - DATE '2000-01-01' AS last_month"
        " FROM client_month_entries"
    )
    assert row is not None
    return tuple(int(value or 0) for value in row.values())


def _start_server(url: str, plain_url: str, *, partials: str = "requests", secret: str = "") -> ServerProcess:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BILLABLE_BENCH_PLAIN_URL": plain_url,
        "BILLABLE_CACHE_URL": "memory://",
        "BILLABLE_SECRET_KEY": secret or secrets.token_urlsafe(32),
        "BILLABLE_SLOW_MS": "60000",
        "BILLABLE_PARTIAL_BUDGET_MS": "60000",
        # A naive page on l takes over 20 s, and gather's queries queue for connections for
        # seconds: the baselines are slow on purpose, not refused.
        "BILLABLE_REQUEST_BUDGET_MS": "600000",
        "BILLABLE_DB_WAIT_MS": "600000",
        # Every mode starts from emptied caches; warming must not refill them behind the bench's back.
        "BILLABLE_WARM_ON_START": "false",
        # The server-side modes ask for the shell, then for each partial, as the per-request mode's
        # browser does: what they measure is the server's work per partial. (--browser runs both.)
        "BILLABLE_PARTIALS": partials,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base, process)
    return ServerProcess(process, base)


async def _measure(config: BenchConfig, server: ServerProcess) -> dict[str, Any]:
    headers = await _sign_in(server.base)
    host, port = server.base.removeprefix("http://").split(":")
    pool = Pool(host, int(port), CONNECTIONS, headers)
    server._sampler = asyncio.create_task(server.sample_rss())
    modes: dict[str, Any] = {}
    try:
        # PostgreSQL's buffers warmed first, unmeasured: "cold" means our caches are empty, not that
        # the first mode pays for reading the tables from disk (it made naive's cold pass 2x slower).
        for path in (BASELINES["naive"], BASELINES["naive_billable_indexes"]):
            _checked(await pool.get(path), path)
        measures = {mode: _one_page(path) for mode, path in BASELINES.items()} | {"billable": _progressive}
        runs = {mode: _ModeRuns() for mode in measures}
        # Pass by pass, the modes in turn: this machine's speed drifts over a run, and each mode
        # must meet the same drift. One pass varies by 1.5x here: the median of a few.
        for number in range(1, config.passes + 1):
            config.out(f"bench: pass {number} of {config.passes} ({', '.join(measures)}; cold, then warm)")
            for mode, measure in measures.items():
                run = runs[mode]
                if number % 2 == 0 and mode in ODD_PASSES_ONLY:
                    continue
                for _ in range(REPEATS.get(mode, 1)):
                    await _clear(server.base, headers)
                    server.reset_peak()
                    before = await _query_count(pool)
                    run.colds.append(await measure(pool))
                    run.queries.append(await _query_count(pool) - before)
                    if number == 1 or mode not in UNCACHED:
                        run.warms.append(await measure(pool))
                    run.peak_rss = max(run.peak_rss, server.peak_rss)
        for mode, run in runs.items():
            cold = _median_pass(run.colds)
            modes[mode] = {
                "shell_ttfb_ms": cold["ttfb_ms"],
                "cold_all_partials_ms": cold["all_ms"],
                "warm_all_partials_ms": _median_pass(run.warms)["all_ms"],
                # min: a pass may include the session's user being re-read (every 30 s), not the page's
                "queries_cold": min(run.queries),
                "peak_rss_mb": round(run.peak_rss, 1),
                "cold_passes_ms": [c["all_ms"] for c in run.colds],
            }
            if mode in UNCACHED:  # naive's queries run one at a time: their times are the database's
                modes[mode]["cold_db_ms"] = cold["db_ms"]
            figures = modes[mode]
            config.out(
                f"bench: {mode}: cold {figures['cold_all_partials_ms']:.1f} ms (median of {len(run.colds)}), "
                f"warm {figures['warm_all_partials_ms']:.1f} ms, {figures['queries_cold']} queries"
            )
        partial_urls = _placeholders((await pool.get("/")).text)
        rps = await _throughputs(
            pool, {"bare": ["/bench/bare"], "shell": ["/"], "cached_partial": partial_urls}, config.throughput_seconds
        )
        server_p50 = await _cached_server_p50(pool, partial_urls)
        crowd = Pool(host, int(port), config.load_users, headers)
        load = await _load(crowd, partial_urls, config.load_users, config.load_seconds)
        await crowd.close()
        burst = await _sign_in_burst(server.base, pool, partial_urls, config.throughput_seconds, config.sign_ins)
    finally:
        server._sampler.cancel()
        await pool.close()
    billable = modes["billable"]
    billable.update(
        {
            f"speedup_cold_vs_{mode}": round(modes[mode]["cold_all_partials_ms"] / billable["cold_all_partials_ms"], 1)
            for mode in BASELINES
        },
        shell_rps_vs_bare=round(rps["shell"] / rps["bare"], 3),
        cached_partial_rps_vs_bare=round(rps["cached_partial"] / rps["bare"], 3),
        cached_partial_server_p50_ms=server_p50,
        rps_bare=round(rps["bare"]),
        rps_shell=round(rps["shell"]),
        rps_cached_partial=round(rps["cached_partial"]),
        **load,
        **burst,
    )
    return modes


async def _sign_in(base: str) -> dict[str, str]:
    """Sign in as the bench admin; the headers (cookie, CSRF token) later requests carry."""
    async with httpx2.AsyncClient(base_url=base) as client:
        token = login_form_token((await client.get("/login")).text)
        form = {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "csrf_token": token}
        if (await client.post("/login", data=form)).status_code != 303:
            raise RuntimeError("the benchmark could not sign in")
        home = await client.get("/")
        csrf = session_csrf_token(home.text)
        if csrf is None:
            raise RuntimeError("the benchmark's page had no CSRF token")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {"Cookie": cookie, "X-CSRF-Token": csrf}


async def _clear(base: str, headers: dict[str, str]) -> None:
    async with httpx2.AsyncClient(base_url=base, headers=headers) as client:
        (await client.post("/bench/clear")).raise_for_status()


_PLACEHOLDER = re.compile(r'hx-get="([^"]+)"\s+hx-trigger="load"')


def _placeholders(html: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in _PLACEHOLDER.findall(html)]


def _median_pass(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """The pass with the median total time (the upper one of an even number)."""
    return sorted(passes, key=lambda p: float(p["all_ms"]))[len(passes) // 2]


async def _query_count(pool: Pool) -> int:
    return int(_checked(await pool.get("/bench/queries"), "/bench/queries").text)


def _checked(reply: Reply, path: str) -> Reply:
    if reply.status != 200:
        raise RuntimeError(f"{path} answered {reply.status}")
    return reply


def _one_page(path: str) -> Callable[[Pool], Awaitable[dict[str, Any]]]:
    async def measure(pool: Pool) -> dict[str, Any]:
        reply = _checked(await pool.get(path), path)
        # The time spent in its queries, from Server-Timing (it includes any wait for a connection).
        db = re.search(r"\bdb;dur=([\d.]+)", reply.headers.get("server-timing", ""))
        db_ms = float(db.group(1)) if db else -1.0
        return {"ttfb_ms": round(reply.ttfb_ms, 2), "all_ms": round(reply.total_ms, 2), "db_ms": db_ms}

    return measure


async def _progressive(pool: Pool) -> dict[str, Any]:
    """The shell, then every partial it names, six at a time, as a browser would."""
    started = time.perf_counter()
    shell = _checked(await pool.get("/"), "/")
    pending = _placeholders(shell.text)
    while pending:  # a partial may name more partials (the client list names its rows)
        replies = await asyncio.gather(*(pool.get(url) for url in pending))
        requested, pending = pending, []
        for url, reply in zip(requested, replies, strict=True):
            pending += _placeholders(_checked(reply, url).text)
    return {"ttfb_ms": round(shell.ttfb_ms, 2), "all_ms": round((time.perf_counter() - started) * 1000, 2)}


async def _throughputs(pool: Pool, kinds: dict[str, list[str]], seconds: float, rounds: int = 3) -> dict[str, float]:
    """Requests per second of each kind over `seconds`, measured in rounds, the kinds in turn (as the
    passes: the machine's drift must not favour one)."""
    done = dict.fromkeys(kinds, 0)
    spent = dict.fromkeys(kinds, 0.0)
    for _ in range(rounds):
        for kind, urls in kinds.items():
            started = time.perf_counter()
            done[kind] += await _throughput(pool, urls, seconds / rounds)
            spent[kind] += time.perf_counter() - started
    return {kind: done[kind] / spent[kind] for kind in kinds}


async def _throughput(pool: Pool, urls: list[str], seconds: float) -> int:
    """Requests answered in `seconds` with CONNECTIONS requests in flight, cycling through urls."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        index = offset
        while time.perf_counter() < deadline:
            _checked(await pool.get(urls[index % len(urls)]), "throughput")
            done += 1
            index += 1

    await asyncio.gather(*(worker(n) for n in range(CONNECTIONS)))
    return done


async def _cached_server_p50(pool: Pool, urls: list[str]) -> float:
    """Median server time (Server-Timing total) of cached partials."""
    totals = []
    for url in urls * 3:
        timing = (await pool.get(url)).headers["server-timing"]
        match = re.search(r"total;dur=([\d.]+)", timing)
        if match and 'cache;desc="hit"' in timing:
            totals.append(float(match.group(1)))
    return round(statistics.median(totals), 3) if totals else -1.0


async def _sign_in_burst(base: str, pool: Pool, urls: list[str], quiet_seconds: float, sign_ins: int) -> dict[str, Any]:
    """Cached partials' p99, paced as people click, while sign-ins run at once, against the same
    requests without them just before. Each sign-in is a wrong password for an account of its own,
    from an address of its own (X-Forwarded-For; the bench server trusts 127.0.0.1), so none is
    refused by a limit before its password is checked."""
    quiet = await _paced_latencies(pool, urls, asyncio.sleep(quiet_seconds))
    async with httpx2.AsyncClient(base_url=base, timeout=120) as client:
        token = login_form_token((await client.get("/login")).text)

        run = secrets.token_hex(3)  # accounts and addresses of this run alone: none has failed before
        network = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}"

        async def wrong(n: int) -> int:
            form = {"email": f"burst{n}-{run}@bench.invalid", "password": "not it", "csrf_token": token}
            headers = {"X-Forwarded-For": f"{network}.{n + 1}"}
            return (await client.post("/login", data=form, headers=headers)).status_code

        burst = asyncio.gather(*(wrong(n) for n in range(sign_ins)))
        during = await _paced_latencies(pool, urls, burst)
        statuses = burst.result()
    if set(statuses) != {401}:
        raise RuntimeError(f"the sign-in burst was not checked as expected: {sorted(set(statuses))}")
    p99_quiet, p99_burst = _p99(quiet), _p99(during)
    return {
        "sign_in_burst": sign_ins,
        "sign_in_burst_p99_quiet_ms": p99_quiet,
        "sign_in_burst_p99_ms": p99_burst,
        "sign_in_burst_p99_ratio": round(p99_burst / p99_quiet, 2),
    }


async def _paced_latencies(pool: Pool, urls: list[str], until: Awaitable[Any]) -> list[float]:
    """Latencies of cached partials asked for by four people, one every 20 ms each, until `until` ends."""
    done = asyncio.ensure_future(until)
    latencies: list[float] = []

    async def person(offset: int) -> None:
        index = offset
        while not done.done():
            started = time.perf_counter()
            _checked(await pool.get(urls[index % len(urls)]), "paced partials")
            latencies.append((time.perf_counter() - started) * 1000)
            index += 5
            await asyncio.sleep(0.02)

    await asyncio.gather(done, *(person(n) for n in range(4)))
    return latencies


def _p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2)


async def _load(pool: Pool, urls: list[str], users: int, seconds: float) -> dict[str, Any]:
    """`users` simulated users, each requesting partials one after another, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def user(offset: int) -> None:
        nonlocal errors
        index = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                if (await pool.get(urls[index % len(urls)])).status >= 500:
                    errors += 1
            except OSError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            index += 7

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else -1.0

    return {
        "rps": round(len(latencies) / elapsed),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": errors,
        "load_users": users,
        "load_seconds": seconds,
    }


def _print_table(results: dict[str, Any], out: Callable[[str], None]) -> None:
    out("")
    out(f"{'mode':<25}{'shell TTFB ms':>15}{'cold all ms':>14}{'warm all ms':>14}{'queries':>10}{'peak MB':>10}")
    for mode in (*BASELINES, "billable"):
        r = results[mode]
        out(
            f"{mode:<25}{r['shell_ttfb_ms']:>15.1f}{r['cold_all_partials_ms']:>14.1f}"
            f"{r['warm_all_partials_ms']:>14.1f}{r['queries_cold']:>10}{r['peak_rss_mb']:>10.1f}"
        )
    b = results["billable"]
    out("")
    out(f"billable cold: {b['speedup_cold_vs_naive']}x faster than naive, {b['speedup_cold_vs_gather']}x than gather")
    out(f"  {b['speedup_cold_vs_naive_trend_one_scan']}x faster than naive reading the trend in one scan")
    out(
        f"  (with the baselines on Billable's own indexes: {b['speedup_cold_vs_naive_billable_indexes']}x and "
        f"{b['speedup_cold_vs_gather_billable_indexes']}x)"
    )
    out(
        f"naive's database time: {results['naive']['cold_db_ms']:.0f} ms "
        f"({results['naive_trend_one_scan']['cold_db_ms']:.0f} ms with the trend in one scan, "
        f"{results['naive_billable_indexes']['cold_db_ms']:.0f} ms on Billable's own indexes)"
    )
    out(
        f"throughput: bare {b['rps_bare']} rps; shell {b['shell_rps_vs_bare']:.0%} of it, "
        f"cached partial {b['cached_partial_rps_vs_bare']:.0%}; cached partial server p50 "
        f"{b['cached_partial_server_p50_ms']} ms"
    )
    out(
        f"load ({b['load_users']} users, {b['load_seconds']} s): {b['rps']} rps, p50 {b['p50_ms']} ms, "
        f"p95 {b['p95_ms']} ms, p99 {b['p99_ms']} ms, {b['errors']} errors"
    )
    out(
        f"{b['sign_in_burst']} sign-ins at once: cached partials' p99 {b['sign_in_burst_p99_ms']} ms against"
        f" {b['sign_in_burst_p99_quiet_ms']} ms without them ({b['sign_in_burst_p99_ratio']}x; target 2x)"
    )


def run_load(
    config: BenchConfig,
    settings: Settings,
    json_path: Path | None,
    *,
    users: int,
    warmup: float,
    seconds: float,
    workers: int,
) -> dict[str, Any]:
    """`billable load`: see bench/load.py."""
    from bench import load

    server_url = settings.database_url or start_embedded(settings.data_dir)

    async def prepare() -> tuple[str, load.Clients]:
        url, *_ = await _prepare_database(config, settings, server_url, purpose="load")
        async with Database(url, min_size=1, max_size=1) as db:
            return url, await load.prepare_staff(db)

    url, clients = asyncio.run(prepare())
    port = free_port()
    env = {**os.environ, "BILLABLE_SECRET_KEY": secrets.token_urlsafe(32), "BILLABLE_WARM_ON_START": "false"}
    server = load.start_server(url, workers, port, env)
    base = f"http://127.0.0.1:{port}"
    run_id = secrets.token_hex(4)
    try:
        _wait_until_up(base, server)
        config.out(
            f"load: {users} users for {seconds:.0f} s after {warmup:.0f} s of warm-up"
            f" on {workers} worker(s), dataset {config.size}"
        )

        async def measure() -> tuple[load.Tally, load.MemorySampler, int, int]:
            sampler = load.MemorySampler(server)
            sampling = asyncio.create_task(sampler.run())
            try:
                tally = await load.run_users(base, users, warmup, seconds, clients, run_id)
            finally:
                sampling.cancel()
            await asyncio.sleep(1.0)  # what the aborted downloads held is given back meanwhile
            async with Database(url, min_size=1, max_size=1) as db:
                found = await db.fetch_val(
                    "SELECT count(*) FROM timesheet_entries WHERE description LIKE :run", run=f"{run_id}-%"
                )
                busy = await db.fetch_val(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state <> 'idle' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
                # Counted, then taken away: a run's hours would otherwise fill the staff's days, and
                # later runs' writes be refused for a day past 24 hours. The server is stopped next.
                await db.execute("DELETE FROM timesheet_entries WHERE description LIKE :run", run=f"{run_id}-%")
            return tally, sampler, int(found), int(busy)

        tally, sampler, found, busy = asyncio.run(measure())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    results = load.report(tally, found, busy, sampler.growth(tally.measured_from, seconds), warmup, seconds)
    load.print_report(results, config.out)
    if json_path:
        json_path.write_text(json.dumps(results, indent=2))
        config.out(f"wrote {json_path}")
    return results


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx2.get(base + "/healthz", timeout=1)
            return
        except httpx2.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start") from None
            time.sleep(0.1)
