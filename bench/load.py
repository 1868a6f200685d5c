"""`billable load`: many staff on the app at once, for a while, over HTTP (issue #18).

The app runs as `billable serve --workers N` on its own database (`billable_load_SIZE`, seeded once).
Each simulated user repeats, with short pauses: the dashboard (one streamed response, read whole),
a change of filter (the event stream htmx asks for), a client page, a CSV export (one in three cut
after its first bytes, as a closed tab does), and logging time as one of several staff accounts.
The figures are those of the run after a warm-up (`--warmup`, 30 s by default, as load-testing
tools leave out their ramp-up): requests, latency percentiles and errors per kind, the writes
acknowledged against those found in the database, database connections still busy, and each
worker's memory in the first and the last part of the run, and before any traffic. The warm-up's
requests and errors are counted apart; its writes are in the count.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx2
import psutil

from bench.http import login_form_token, session_csrf_token
from web.db import Database
from web.queries.users import UserExists, add_user, set_password

STAFF = [f"load{n}@billable.test" for n in range(1, 5)]
PASSWORD = secrets.token_urlsafe(12)
KINDS = ("dashboard", "filter", "client", "export", "write")
WEIGHTS = (30, 20, 25, 10, 15)
THINK_S = (0.3, 1.5)  # between one answer and the next click: a brisk person
PERIODS = ("this_month", "last_month", "this_quarter", "ytd", "last_12_months")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    acknowledged: list[str] = field(default_factory=list)
    refused_writes: list[str] = field(default_factory=list)  # answered, but not logged (a form error)
    aborted_exports: int = 0
    measured_from: float = 0.0  # time.monotonic() at which the warm-up ends and the figures begin
    warmup_requests: int = 0
    warmup_errors: list[str] = field(default_factory=list)

    def error(self, kind: str, what: str, *, warming: bool) -> None:
        if warming:
            self.warmup_errors.append(f"{kind}: {what}")
        else:
            self.errors[kind].append(what)


@dataclass(frozen=True)
class Clients:
    visited: list[int]  # any client: their pages
    worked_for: list[int]  # active clients: time can be logged for them


async def prepare_staff(db: Database) -> Clients:
    """The load's staff accounts (signed in by the users), and the clients they visit and log time for."""
    for email in STAFF:
        try:
            await add_user(
                db, email=email, name=email.split("@")[0], role="staff", password=PASSWORD, today=date.today()
            )
        except UserExists:
            await set_password(db, email, PASSWORD)
    rows = await db.fetch_all("SELECT id, status FROM clients ORDER BY id LIMIT 200")
    return Clients([row["id"] for row in rows], [row["id"] for row in rows if row["status"] == "active"])


async def run_users(base: str, users: int, warmup: float, seconds: float, clients: Clients, run_id: str) -> Tally:
    tally = Tally()
    sessions = [await _sign_in(base, email) for email in STAFF]
    tally.measured_from = time.monotonic() + warmup
    deadline = tally.measured_from + seconds
    limits = httpx2.Limits(max_connections=users)
    async with httpx2.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await asyncio.gather(
            *(
                _user(client, sessions[n % len(sessions)], clients, deadline, tally, f"{run_id}-{n}")
                for n in range(users)
            )
        )
    return tally


async def _sign_in(base: str, email: str) -> tuple[dict[str, str], str]:
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.get("/login")
        token = login_form_token(login.text)
        answer = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        page = await client.get("/timesheet")
        csrf = session_csrf_token(page.text)
        if answer.status_code >= 400 or csrf is None:
            raise RuntimeError(f"{email} could not sign in ({answer.status_code})")
        return dict(client.cookies), csrf


async def _user(
    client: httpx2.AsyncClient,
    session: tuple[dict[str, str], str],
    clients: Clients,
    deadline: float,
    tally: Tally,
    name: str,
) -> None:
    cookies, csrf = session
    rng = random.Random(name)
    n = 0
    while time.monotonic() < deadline:
        kind = rng.choices(KINDS, WEIGHTS)[0]
        n += 1
        started = time.perf_counter()
        warming = time.monotonic() < tally.measured_from
        try:
            status = await _one(client, kind, cookies, csrf, rng, clients, f"{name}-{n}", tally)
        except httpx2.TransportError as exc:
            tally.error(kind, type(exc).__name__, warming=warming)
            continue
        if warming:
            tally.warmup_requests += 1
        else:
            tally.latencies[kind].append((time.perf_counter() - started) * 1000)
        if status >= 500:
            tally.error(kind, str(status), warming=warming)
        await asyncio.sleep(rng.uniform(*THINK_S))  # a person reads before the next click


async def _one(
    client: httpx2.AsyncClient,
    kind: str,
    cookies: dict[str, str],
    csrf: str,
    rng: random.Random,
    clients: Clients,
    label: str,
    tally: Tally,
) -> int:
    period = rng.choice(PERIODS)
    if kind == "dashboard":
        answer = await client.get("/", cookies=cookies)
    elif kind == "filter":
        headers = {"HX-Request": "true", "Accept": "text/html, text/event-stream"}
        answer = await client.get(f"/?period={period}&status=active", cookies=cookies, headers=headers)
    elif kind == "client":
        answer = await client.get(f"/clients/{rng.choice(clients.visited)}?period={period}", cookies=cookies)
    elif kind == "export":
        url = f"/export/entries.csv?period={period}" if rng.random() < 0.5 else f"/export/clients.csv?period={period}"
        async with client.stream("GET", url, cookies=cookies) as streamed:
            if rng.random() < 1 / 3:  # the tab closed mid-download
                async for _ in streamed.aiter_bytes():
                    break
                tally.aborted_exports += 1
                return streamed.status_code
            await streamed.aread()
            return streamed.status_code
    else:
        # Spread over the last two months: four people's 15 minutes at a time fill no day's 24 hours.
        day = date.today() - timedelta(days=rng.randrange(60))
        entry = {
            "work_date": day.isoformat(),
            "client_id": str(rng.choice(clients.worked_for)),
            "duration": "0:15",
        }
        answer = await client.post(
            "/timesheet/entries", data={**entry, "description": label}, cookies=cookies, headers={"X-CSRF-Token": csrf}
        )
        if answer.status_code == 200 and "Logged" in answer.text:
            tally.acknowledged.append(label)
        else:
            errors = re.findall(r'class="field-error">([^<]+)<', answer.text)
            tally.refused_writes.append(f"{answer.status_code} {'; '.join(errors) or answer.text[:80]}")
    return answer.status_code


class MemorySampler:
    """Each worker's resident memory (MiB) over the run, sampled every half second."""

    def __init__(self, supervisor: subprocess.Popen[bytes]) -> None:
        self.supervisor = psutil.Process(supervisor.pid)
        self.samples: list[tuple[float, int, float]] = []  # (time.monotonic(), pid, MiB)

    async def run(self) -> None:
        while True:
            forked = [w for w in self.supervisor.children() if "--multiprocessing-fork" in " ".join(w.cmdline())]
            for worker in forked or [self.supervisor]:  # one worker: the server process serves itself
                self.samples.append((time.monotonic(), worker.pid, worker.memory_info().rss / 2**20))
            await asyncio.sleep(0.5)

    def growth(self, measured_from: float, seconds: float) -> dict[str, Any]:
        """Per worker: memory before any traffic, and the median in the first, middle and last
        quarter of the measured run (at most 30 s each). Early to late is the issue's figure; from
        mid-run to late tells a leak (a curve that keeps rising) from caches that are full."""
        span = min(30.0, seconds / 4)
        result = {}
        for pid in sorted({pid for _, pid, _ in self.samples}):
            mine = [(at - measured_from, mib) for at, p, mib in self.samples if p == pid]

            def median_within(start: float, mine: list[tuple[float, float]] = mine) -> float | None:
                window = [mib for at, mib in mine if start <= at <= start + span]
                return statistics.median(window) if window else None

            early, middle, late = (median_within(at) for at in (0.0, (seconds - span) / 2, seconds - span))
            if early and middle and late:
                result[str(pid)] = {
                    "idle_mib": mine[0][1],
                    "first_mib": early,
                    "mid_mib": middle,
                    "last_mib": late,
                    "growth": late / early - 1,
                    "growth_second_half": late / middle - 1,
                    "growth_from_idle": late / mine[0][1] - 1,
                }
        return result


def report(
    tally: Tally, found: int, busy_connections: int, memory: dict[str, Any], warmup: float, seconds: float
) -> dict[str, Any]:
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    kinds = {
        kind: {
            "requests": len(tally.latencies[kind]),
            "p50_ms": pct(tally.latencies[kind], 0.50),
            "p95_ms": pct(tally.latencies[kind], 0.95),
            "p99_ms": pct(tally.latencies[kind], 0.99),
            "errors": len(tally.errors[kind]),
        }
        for kind in KINDS
    }
    return {
        "warmup": {"seconds": warmup, "requests": tally.warmup_requests, "errors": tally.warmup_errors[:5]},
        "seconds": seconds,
        "requests": sum(k["requests"] for k in kinds.values()),
        "kinds": kinds,
        "error_samples": {kind: errors[:5] for kind, errors in tally.errors.items() if errors},
        "aborted_exports": tally.aborted_exports,
        "writes_acknowledged": len(tally.acknowledged),
        "writes_refused": len(tally.refused_writes),
        "writes_refused_samples": sorted(set(tally.refused_writes))[:5],
        "writes_found": found,
        "connections_busy_at_end": busy_connections,
        "memory": memory,
    }


def print_report(results: dict[str, Any], out: Any) -> None:
    warmup = results["warmup"]
    if warmup["seconds"]:
        errors = f"errors: {'; '.join(warmup['errors'])}" if warmup["errors"] else "no errors"
        out(
            f"warm-up: {warmup['requests']:,} requests in {warmup['seconds']:.0f} s, {errors}; not in the figures below"
        )
    out(f"load: {results['requests']:,} requests in {results['seconds']:.0f} s")
    out(f"{'kind':<10} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind, row in results["kinds"].items():
        out(
            f"{kind:<10} {row['requests']:>9,} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}"
            f" {row['p99_ms']:>8.1f} {row['errors']:>7}"
        )
    for kind, samples in results["error_samples"].items():
        out(f"errors in {kind}: {', '.join(samples)}")
    out(f"exports cut mid-download: {results['aborted_exports']}")
    out(f"writes acknowledged: {results['writes_acknowledged']}, found in the database: {results['writes_found']}")
    if results["writes_refused"]:
        out(f"writes refused by the form: {results['writes_refused']} ({'; '.join(results['writes_refused_samples'])})")
    out(f"database connections still busy at the end: {results['connections_busy_at_end']}")
    for pid, memory in results["memory"].items():
        out(
            f"worker {pid}: {memory['idle_mib']:.0f} MiB before any request; {memory['first_mib']:.0f} early,"
            f" {memory['mid_mib']:.0f} mid-run, {memory['last_mib']:.0f} late ({memory['growth'] * 100:+.1f} %,"
            f" {memory['growth_second_half'] * 100:+.1f} % from mid-run, {memory['growth_from_idle'] * 100:+.1f} %"
            " from before any request)"
        )


def start_server(url: str, workers: int, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "web", "serve", "--port", str(port), "--workers", str(workers)],
        env={**env, "DATABASE_URL": url, "BILLABLE_SLOW_MS": "60000"},
        stdout=subprocess.DEVNULL,
    )
