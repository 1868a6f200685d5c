"""The `billable` command, run as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx2
import psutil
import pytest

from bench.http import session_csrf_token
from tests.support import (
    PASSWORD,
    DataBuilder,
    billable,
    free_port,
    login_form_token,
    serve,
    soup,
    wait_for,
    wait_until,
)
from web.dashboard import CARDS
from web.db.seed import DEMO_EMAIL, DEMO_PASSWORD
from web.db.server import with_database
from web.settings import Settings, SettingsError
from web.streaming import UNFILLED


def test_help_explains_commands_and_settings() -> None:
    result = billable("--help")
    assert result.returncode == 0
    for text in (
        "serve",
        "migrate",
        "seed",
        "user",
        "DATABASE_URL",
        "BILLABLE_CACHE_URL",
        "BILLABLE_DATA_DIR",
        "BILLABLE_TTL_STATS",
        "[default: 300]",
    ):
        assert text in result.stdout
    assert "--size {tiny,demo,s,m,l}" in billable("seed", "--help").stdout


def test_migrate_seed_and_user_add(database_url: str, data: DataBuilder) -> None:
    env = {"DATABASE_URL": database_url}
    assert billable("migrate", env=env).stdout.strip() == "schema is up to date"
    seeded = billable("seed", "--size", "tiny", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "seed: 12 clients" in seeded.stdout.replace("5 staff, ", "")
    again = billable("seed", "--size", "tiny", env=env)
    assert again.returncode == 2
    assert "already has clients; use --reset" in again.stderr
    added = billable("user", "add", "Zoe@Example.com", "--role", "admin", env=env, stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    assert data.val("SELECT role FROM users WHERE email = 'Zoe@Example.com'") == "admin"
    assert data.val("SELECT password_hash FROM users WHERE email = 'Zoe@Example.com'").startswith("$argon2")
    duplicate = billable("user", "add", "zoe@example.com", env=env, stdin="another pass\n")
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    short = billable("user", "add", "new@example.com", env=env, stdin="short\n")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    before = data.val("SELECT password_hash FROM users WHERE email = 'Zoe@Example.com'")
    assert billable("user", "passwd", "zoe@example.com", env=env, stdin="a new password\n").returncode == 0
    assert data.val("SELECT password_hash FROM users WHERE email = 'Zoe@Example.com'") != before
    assert billable("user", "disable", "zoe@example.com", env=env).returncode == 0
    assert data.val("SELECT disabled FROM users WHERE email = 'Zoe@Example.com'") is True
    assert billable("user", "enable", "zoe@example.com", env=env).returncode == 0
    assert data.val("SELECT disabled FROM users WHERE email = 'Zoe@Example.com'") is False
    unknown = billable("user", "disable", "ghost@example.com", env=env)
    assert unknown.returncode == 2 and "there is no user with email ghost@example.com" in unknown.stderr


def test_capacity_is_set_from_a_date_and_shown_as_it_changed(database_url: str, data: DataBuilder) -> None:
    env = {"DATABASE_URL": database_url}
    added = billable("user", "add", "sam@example.com", "--capacity", "32", env=env, stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    assert "32:00 h a week" in added.stdout
    changed = billable("user", "capacity", "SAM@example.com", "37:30", "--from", "2030-01-07", "--yes", env=env)
    assert changed.returncode == 0, changed.stderr
    lines = changed.stdout.splitlines()
    assert lines[-1] == "from 2030-01-07: 37:30 h a week" and lines[-2].endswith(": 32:00 h a week")
    assert billable("user", "capacity", "sam@example.com", env=env).stdout.splitlines() == lines  # shown alone
    for bad, says in (("169", "0 to 168"), ("forty", "is not a duration")):
        refused = billable("user", "capacity", "sam@example.com", bad, env=env)
        assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    refused = billable("user", "capacity", "sam@example.com", "40", "--from", "2030-02-30", env=env)
    assert refused.returncode == 2 and "not a date that exists" in refused.stderr
    assert data.val("SELECT count(*) FROM user_capacity") == 2  # nothing written by the refused ones
    unknown = billable("user", "capacity", "ghost@example.com", "40", env=env)
    assert unknown.returncode == 2 and "there is no user with email ghost@example.com" in unknown.stderr


def test_a_cost_rate_is_set_from_a_date_and_costs_the_time_since(database_url: str, data: DataBuilder) -> None:
    env = {"DATABASE_URL": database_url}
    sam = data.user("Sam", email="sam@example.com")
    entry = data.entry(data.client("Acme"), sam, date(2030, 1, 8), 60, 10_000)
    assert billable("user", "cost", "sam@example.com", env=env).stdout.strip() == "sam@example.com has no cost rate set"
    past = billable("user", "cost", "sam@example.com", "45", "--from", "2020-01-06", env=env)
    assert past.returncode == 2 and "month gone by" in past.stderr and "--yes" in past.stderr
    changed = billable("user", "cost", "SAM@example.com", "45", "--from", "2030-01-07", env=env)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.splitlines() == ["from 2030-01-07: €45.00 an hour"]
    assert data.val("SELECT cost_rate_cents FROM timesheet_entries WHERE id = :id", id=entry) == 4_500
    refused = billable("user", "cost", "sam@example.com", "-3", env=env)
    assert refused.returncode == 2 and refused.stderr
    assert data.val("SELECT count(*) FROM user_cost_rates") == 1


def test_staff_hourly_rates_are_set_with_the_account_or_later(database_url: str, data: DataBuilder) -> None:
    env = {"DATABASE_URL": database_url}
    added = billable("user", "add", "sam@example.com", "--rate", "95.50", env=env, stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    assert "hourly rate €95.50" in added.stdout
    rate = "SELECT hourly_rate_cents FROM users WHERE email = 'sam@example.com'"
    assert data.val(rate) == 9_550
    past = billable("user", "rate", "SAM@example.com", "120", "--from", "2020-01-06", env=env)
    assert past.returncode == 2 and "lies in a month gone by" in past.stderr and "add --yes" in past.stderr
    changed = billable("user", "rate", "SAM@example.com", "120", "--from", "2026-12-01", "--yes", env=env)
    assert changed.returncode == 0, changed.stderr
    assert "hourly rate of SAM@example.com is €120.00 from 2026-12-01" in changed.stdout
    rate = (
        "SELECT dated_value(hourly_rate_cents, rate_changes, CAST(:day AS date)) FROM users"
        " WHERE email = 'sam@example.com'"
    )
    assert (data.val(rate, day=date(2026, 11, 30)), data.val(rate, day=date(2026, 12, 1))) == (9_550, 12_000)
    bad = billable("user", "rate", "sam@example.com", "1e3", env=env)
    assert bad.returncode == 2 and "is not an amount" in bad.stderr
    assert data.val(rate, day=date(2026, 12, 1)) == 12_000
    unknown = billable("user", "rate", "ghost@example.com", "50", env=env)
    assert unknown.returncode == 2 and "there is no user with email ghost@example.com" in unknown.stderr


def test_bad_setting_is_a_clear_error() -> None:
    result = billable("migrate", env={"BILLABLE_POOL_MAX": "lots", "DATABASE_URL": "postgresql://unused/x"})
    assert result.returncode == 2
    assert "BILLABLE_POOL_MAX: expected a whole number, got 'lots'" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("BILLABLE_PARTIAL_BUDGET_MS", "0"), ("BILLABLE_TTL_STATS", "-5"), ("BILLABLE_SHUTDOWN_S", "-1")],
)
def test_a_number_out_of_range_is_a_clear_error(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{name}: must be at least"):
        Settings.from_env({name: value})


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/one", "redis://h/0?pool_max_size=1", "memcached://h"])
def test_a_cache_url_that_cannot_work_is_a_clear_error(url: str) -> None:
    with pytest.raises(SettingsError, match="BILLABLE_CACHE_URL: use memory:// or redis://host:port/db"):
        Settings.from_env({"BILLABLE_CACHE_URL": url})
    assert Settings.from_env({"BILLABLE_CACHE_URL": "rediss://:secret@cache.example:6380/2"}).cache_url


def test_zero_is_allowed_where_it_means_something() -> None:
    settings = Settings.from_env({"BILLABLE_SLOW_MS": "0", "BILLABLE_SHUTDOWN_S": "0"})
    assert (settings.slow_request_ms, settings.shutdown_s) == (0, 0)  # log every request; stop at once


def test_a_database_that_cannot_be_used_is_one_clear_line(database_url: str) -> None:
    down = billable("migrate", env={"DATABASE_URL": "postgresql://ada:secret@127.0.0.1:1/nothing"})
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "billable: cannot connect to postgresql://127.0.0.1:1/nothing:" in down.stderr
    assert "secret" not in down.stderr  # the password is not printed
    option = billable("migrate", env={"DATABASE_URL": "postgresql://127.0.0.1:1/nothing?password=secret"})
    assert option.returncode == 1 and "secret" not in option.stderr
    assert "embedded PostgreSQL" in down.stderr  # the way out
    missing = billable("migrate", env={"DATABASE_URL": with_database(database_url, "no_such_database")})
    assert missing.returncode == 1 and 'database "no_such_database" does not exist' in missing.stderr


@pytest.mark.parametrize(
    ("env", "pool"),
    [
        ({}, (10, 10)),  # opened at start: a dashboard's first load asks for about ten at once
        ({"BILLABLE_POOL_MAX": "4"}, (4, 4)),  # a smaller pool alone is not an error
        ({"BILLABLE_POOL_MIN": "2", "BILLABLE_POOL_MAX": "20"}, (2, 20)),
    ],
)
def test_pool_size_settings(env: dict[str, str], pool: tuple[int, int]) -> None:
    settings = Settings.from_env(env)
    assert (settings.pool_min, settings.pool_max) == pool


def test_a_pool_minimum_above_its_maximum_is_refused() -> None:
    with pytest.raises(SettingsError, match="need 1 <= min <= max"):
        Settings.from_env({"BILLABLE_POOL_MIN": "12"})


def test_bench_refuses_a_file_it_could_not_write_before_measuring(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "out.json"
    result = billable("bench", "--size", "tiny", "--json", str(missing), env={"DATABASE_URL": "postgresql://unused/x"})
    assert result.returncode == 2
    assert f"--json {missing}: there is no folder {missing.parent}" in result.stderr


def test_bench_without_its_extra_says_how_to_install_it() -> None:
    # As without the bench extra: its libraries cannot be imported (None in sys.modules).
    without = "import sys; sys.modules['psutil'] = sys.modules['bs4'] = None; from web.cli import main; "
    result = subprocess.run(
        [sys.executable, "-c", without + "raise SystemExit(main(['bench', '--size', 'tiny']))"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": "postgresql://unused/x"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs the bench extra (missing bs4, psutil): pip install -e '.[bench]'" in result.stderr


def _read_until(server: subprocess.Popen[str], text: str, seen: list[str]) -> str:
    """The first line of the server's output containing `text`; lines read go to `seen`. (It logs
    every request, so this never waits on silence for long.)"""
    assert server.stdout is not None
    for line in server.stdout:
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"the server ended without logging {text!r}")


def test_serve_starts_an_embedded_database_with_demo_data(tmp_path: Path) -> None:
    """What `make run` does on a fresh machine: embedded PostgreSQL, migrated, seeded, served."""
    port = free_port()
    env = {"BILLABLE_DATA_DIR": str(tmp_path / "data"), "BILLABLE_WARM_ON_START": "true"}
    server = serve(["--port", str(port)], env, unset=("DATABASE_URL",))
    base = f"http://127.0.0.1:{port}"
    seen: list[str] = []
    try:
        assert wait_for(f"{base}/healthz", server).text == "ok"
        with httpx2.Client(base_url=base) as browser:
            assert browser.get("/").headers["location"].startswith("/login")
            token = login_form_token(browser.get("/login").text)
            form = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token}
            page = soup(browser.post("/login", data=form, follow_redirects=True).text)
            # Each card and row of the first page (demo data: 60 clients, 50 a page) comes in the
            # page's own response: in place in the shell, or streamed after it into its placeholder.
            assert len(page.select(".cards > .card")) == len(CARDS)
            assert len(page.select("#client-list tbody tr")) == 50
            streamed = page.select("template[data-fill]")
            assert len(page.select(f'[aria-busy=true][hx-trigger="{UNFILLED}"]')) == len(streamed)
            # The default dashboard was computed into the cache when the app started.
            warmed = _read_until(server, "dashboard warmed", seen)
            assert warmed.rstrip().endswith("partials, 0 failed"), warmed
            revenue = browser.get("/partials/dashboard/revenue?period=this_month")  # the default filters
            assert revenue.status_code == 200
            assert 'db;dur=0.00;desc="0 queries"' in revenue.headers["server-timing"]
            assert 'cache;desc="hit"' in revenue.headers["server-timing"]
    finally:
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=30)
    output = "".join(seen) + rest
    assert f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in output
    assert f"http://127.0.0.1:{port}/" in output
    assert server.returncode == 0
    # Stopping the app stops its embedded PostgreSQL too.
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()


def test_serve_stopped_by_a_service_manager_stops_its_database(tmp_path: Path) -> None:
    """systemd and docker stop with SIGTERM: the embedded PostgreSQL must stop with the app."""
    port = free_port()
    server = serve(["--port", str(port)], {"BILLABLE_DATA_DIR": str(tmp_path / "data")}, unset=("DATABASE_URL",))
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", server).text == "ok"
        assert (tmp_path / "data" / "pg" / "postmaster.pid").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert server.returncode == 0
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()


def test_serve_runs_several_workers_and_sigterm_stops_them_all(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    env = {"DATABASE_URL": database_url, "BILLABLE_DATA_DIR": str(tmp_path), "BILLABLE_POOL_MIN": "1"}
    server = serve(["--port", str(port), "--workers", "2"], env)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        supervisor = psutil.Process(server.pid)

        def worker_processes() -> list[psutil.Process]:
            return [p for p in supervisor.children() if "--multiprocessing-fork" in p.cmdline()]

        wait_until(lambda: len(worker_processes()) >= 2, "two workers started", 30)
        workers = worker_processes()
        with httpx2.Client() as client:  # a new connection each time: the kernel spreads them
            answers = [
                client.get(f"http://127.0.0.1:{port}/readyz", headers={"Connection": "close"}) for _ in range(20)
            ]
        assert {(a.status_code, a.text) for a in answers} == {(200, "ready")}
        # The default trusted proxy is this machine: its X-Forwarded-Proto makes the cookie Secure.
        login = httpx2.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert "; secure" in login.headers["set-cookie"].lower()
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "with 2 workers" in output
    assert not any(worker.is_running() for worker in workers)


def test_a_stream_still_open_does_not_hold_shutdown(tmp_path: Path, database_url: str) -> None:
    """SIGTERM ends the process within BILLABLE_SHUTDOWN_S even with an endless stream open."""
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "BILLABLE_DATA_DIR": str(tmp_path),
        "BILLABLE_SHUTDOWN_S": "1",
        "BILLABLE_TRUSTED_PROXIES": "10.9.9.9",  # not us
    }
    server = serve(["--port", str(port), "--dev"], env)  # --dev serves /dev/events, open until the page goes
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        # A proxy that is not trusted cannot claim HTTPS.
        login = httpx2.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert "; secure" not in login.headers["set-cookie"].lower()
        with httpx2.stream("GET", f"http://127.0.0.1:{port}/dev/events", timeout=10) as stream:
            assert stream.status_code == 200
            server.send_signal(signal.SIGTERM)
            started = time.monotonic()
            server.wait(timeout=20)
            took = time.monotonic() - started
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=10)
    assert server.returncode == 0
    # The stream never ends by itself: a shutdown that waited for it would not end at all. The rest
    # is the process's own exit, slower when test workers share the cores.
    assert took < 1 + 5, f"exit took {took:.1f} s with a stream open (BILLABLE_SHUTDOWN_S=1)"


def test_a_worker_killed_during_writes_loses_no_acknowledged_one(
    tmp_path: Path, database_url: str, data: DataBuilder, admin: str
) -> None:
    acme = data.client("Acme")
    port = free_port()
    env = {"DATABASE_URL": database_url, "BILLABLE_DATA_DIR": str(tmp_path), "BILLABLE_POOL_MIN": "1"}
    server = serve(["--port", str(port), "--workers", "2"], env)
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    lost: list[str] = []
    stop = threading.Event()
    try:
        wait_for(f"{base}/healthz", server)
        login = httpx2.get(f"{base}/login")
        form = {
            "email": admin,
            "password": PASSWORD,
            "csrf_token": login_form_token(login.text),
        }
        signed_in = httpx2.post(f"{base}/login", data=form, cookies=login.cookies)
        cookies = dict(signed_in.cookies) or dict(login.cookies)
        token = session_csrf_token(httpx2.get(f"{base}/timesheet", cookies=cookies).text)

        def write(writer: int) -> None:
            n = 0
            with httpx2.Client(base_url=base, cookies=cookies, headers={"X-CSRF-Token": token}) as client:
                while not stop.is_set():
                    n += 1
                    text = f"w{writer}-{n}"
                    # Over four weeks of days: one day is full after 48 writes (24 h of 30 min each).
                    day = (date(2026, 11, 1) + timedelta(days=n % 28)).isoformat()
                    entry = {"work_date": day, "client_id": str(acme), "duration": "0:30", "description": text}
                    try:
                        answer = client.post("/timesheet/entries", data=entry, timeout=10)
                    except httpx2.TransportError:
                        lost.append(text)
                        continue  # the worker died with it: not acknowledged
                    if answer.status_code == 200 and "Logged" in answer.text:
                        acknowledged.append(text)

        writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for thread in writers:
            thread.start()
        wait_until(lambda: len(acknowledged) >= 10, "ten writes acknowledged")
        worker = next(p for p in psutil.Process(server.pid).children() if "--multiprocessing-fork" in p.cmdline())
        worker.kill()  # mid-burst: some writes were in flight on it
        before_the_kill = len(acknowledged)
        wait_until(lambda: len(acknowledged) >= before_the_kill + 20, "writes acknowledged after the kill")
        stop.set()
        for thread in writers:
            thread.join(20)
    finally:
        stop.set()  # also when a wait above failed: the writers end with their next request
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    stored = data.rows("SELECT description, minutes, client_id FROM timesheet_entries")
    # Every acknowledged write is there (those cut with the worker may or may not be).
    assert set(acknowledged) <= {row["description"] for row in stored}, f"cut: {lost}"
    assert all((row["minutes"], row["client_id"]) == (30, acme) for row in stored)  # none half-done
    audited = data.val("SELECT count(*) FROM audit_log WHERE entity = 'entry'")
    assert audited == len(stored)  # each entry with its audit row: written together or not at all
