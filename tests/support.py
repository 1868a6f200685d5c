"""Helpers for tests: building real rows, reading HTML and headers."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import IO, Any

import httpx2
from anyio.from_thread import BlockingPortal
from argon2 import PasswordHasher, profiles
from bs4 import BeautifulSoup
from itsdangerous import TimestampSigner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bench.http import login_form_token
from web.db import Database
from web.db.seed import entries_in_bulk
from web.state import AppState

# open_app(**setting_changes) -> a context manager giving a signed-in TestClient (see conftest.py)
OpenApp = Callable[..., AbstractContextManager[TestClient]]

# Test accounts are hashed with Argon2's cheapest parameters. A sign-in verifies with the
# parameters stored in the hash, so each costs microseconds instead of ~0.3 s of a test's time
# (issue #22), in this process and in any server a test starts. The production parameters are
# tested in tests/auth/test_sign_in_under_load.py and tests/auth/test_passwords.py.
_cheap_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def cheap_hash(password: str) -> str:
    return _cheap_hasher.hash(password)


# The date the app under test sees as today (a Sunday in November 2026).
TODAY = date(2026, 11, 15)


class DataBuilder:
    """Inserts rows through the real schema, on a connection of the test's own."""

    def __init__(self, db: Database, portal: BlockingPortal) -> None:
        self.db, self.portal = db, portal

    def val(self, sql: str, **params: Any) -> Any:
        async def run() -> Any:
            return await self.db.fetch_val(sql, **params)

        return self.portal.call(run)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async def run() -> list[dict[str, Any]]:
            return [dict(row) for row in await self.db.fetch_all(sql, **params)]

        return self.portal.call(run)

    def user(
        self,
        name: str = "Sam Staff",
        *,
        role: str = "staff",
        rate_cents: int = 10_000,
        email: str | None = None,
        password: str | None = None,
    ) -> int:
        email = email or f"{name.lower().replace(' ', '.')}.{self.val('SELECT count(*) FROM users')}@test.example"
        return int(
            self.val(
                "INSERT INTO users (name, email, role, hourly_rate_cents, password_hash)"
                " VALUES (:n, :e, :r, :rate, :hash) RETURNING id",
                n=name,
                e=email,
                r=role,
                rate=rate_cents,
                hash=cheap_hash(password) if password else None,
            )
        )

    def capacity(self, user_id: int, from_date: date, weekly_hours: float) -> None:
        self.val(
            "INSERT INTO user_capacity (user_id, from_date, weekly_minutes) VALUES (:u, :d, :m)",
            u=user_id,
            d=from_date,
            m=round(weekly_hours * 60),
        )

    def client(
        self,
        name: str = "Acme",
        *,
        status: str = "active",
        manager_id: int | None = None,
        rate_cents: int | None = None,
        created: date = date(2024, 1, 1),
    ) -> int:
        return int(
            self.val(
                "INSERT INTO clients (name, status, account_manager_id, hourly_rate_cents, created_at) "
                "VALUES (:n, :s, :m, :r, :c) RETURNING id",
                n=name,
                s=status,
                m=manager_id,
                r=rate_cents,
                c=datetime(created.year, created.month, created.day, 12, tzinfo=UTC),
            )
        )

    def recurring(self, client_id: int, monthly_cents: int, start: date, end: date | None = None) -> int:
        return self._service(client_id, "recurring", start, end, monthly=monthly_cents)

    def price_change(self, service_id: int, from_month: date, monthly_cents: int) -> None:
        """A retainer's new price from `from_month` on (its first day), as the app stores one: in date
        order, replacing a change of the same month."""
        self.val(
            "UPDATE services SET price_changes = (SELECT jsonb_agg(c ORDER BY c ->> 'from') FROM jsonb_array_elements("
            "jsonb_path_query_array(price_changes, '$[*] ? (@.from != $m)', jsonb_build_object('m', CAST(:m AS date)))"
            " || jsonb_build_object('from', CAST(:m AS date), 'cents', CAST(:c AS bigint))) c) WHERE id = :id",
            id=service_id,
            m=from_month,
            c=monthly_cents,
        )

    def status(self, client_id: int, since: date, status: str) -> None:
        """A client's status from `since` on (migration 0017), and its status now as the history ends."""
        self.val("SELECT client_status_set(:c, :d, :s)", c=client_id, d=since, s=status)
        self.val(
            "UPDATE clients SET status = (SELECT status FROM client_statuses WHERE client_id = :c"
            " ORDER BY from_date DESC LIMIT 1) WHERE id = :c",
            c=client_id,
        )

    def one_off(self, client_id: int, price_cents: int, on: date) -> int:
        return self._service(client_id, "one_off", on, None, fixed=price_cents)

    def hourly(self, client_id: int, rate_cents: int, start: date, end: date | None = None) -> int:
        return self._service(client_id, "hourly", start, end, hourly=rate_cents)

    def _service(
        self,
        client_id: int,
        kind: str,
        start: date,
        end: date | None,
        *,
        monthly: int | None = None,
        fixed: int | None = None,
        hourly: int | None = None,
    ) -> int:
        return int(
            self.val(
                "INSERT INTO services (client_id, name, kind, monthly_price_cents, fixed_price_cents,"
                " hourly_rate_cents, start_date, end_date) VALUES (:c, :n, :k, :m, :f, :h, :s, :e) RETURNING id",
                c=client_id,
                n=f"{kind} service",
                k=kind,
                m=monthly,
                f=fixed,
                h=hourly,
                s=start,
                e=end,
            )
        )

    def entries_in_bulk(self, insert: str, **params: Any) -> None:
        """Many entries in one INSERT ... SELECT, loaded as the seed loads them (web.db.seed): for
        tests that need volume, in seconds less. Without cost rates."""

        async def run() -> None:
            async with self.db.transaction(), entries_in_bulk(self.db):
                await self.db.execute(insert, **params)

        self.portal.call(run)

    def entry(
        self,
        client_id: int,
        user_id: int,
        on: date,
        minutes: int,
        rate_cents: int,
        *,
        billable: bool = True,
        service_id: int | None = None,
    ) -> int:
        return int(
            self.val(
                "INSERT INTO timesheet_entries (user_id, client_id, service_id, work_date, minutes, billable,"
                " rate_cents) VALUES (:u, :c, :s, :d, :m, :b, :r) RETURNING id",
                u=user_id,
                c=client_id,
                s=service_id,
                d=on,
                m=minutes,
                b=billable,
                r=rate_cents,
            )
        )


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def server_timing(header: str) -> dict[str, dict[str, str]]:
    """'total;dur=1.2, cache;desc="hit"' -> {'total': {'dur': '1.2'}, 'cache': {'desc': 'hit'}}"""
    metrics = {}
    for part in header.split(","):
        name, *params = [p.strip() for p in part.split(";")]
        metrics[name] = {k: v.strip('"') for k, v in (p.split("=", 1) for p in params)}
    return metrics


PASSWORD = "correct horse battery"


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form; later writes from this client carry the CSRF token.

    The redirect to the dashboard is not followed (it would fill the cache before the test starts):
    the new token is read from the signed session cookie instead."""
    client.headers.pop("X-CSRF-Token", None)  # a token of an earlier session would be refused
    form_token = login_form_token(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": form_token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = session_of(client)["csrf"]


def session_of(client: TestClient, secret: str = "test-secret") -> dict[str, Any]:
    """The client's session, as Starlette's SessionMiddleware signed it."""
    signed = client.cookies["billable_session"].encode()
    return json.loads(base64.b64decode(TimestampSigner(secret).unsign(signed)))


def later(app: Starlette, seconds: float) -> None:
    """The app's cache entries `seconds` older, as if that time had passed: a test goes past a TTL
    without waiting it out. (The registry's clock moves on; the cache keeps each entry for twice its
    TTL in real time, so an entry past its TTL by less than that is served stale, as it would be.)"""
    registry = AppState.of_app(app).registry
    clock = registry.clock
    registry.clock = lambda: clock() + seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    args: list[str], env: dict[str, str], *, unset: tuple[str, ...] = (), output: int | IO[str] = subprocess.PIPE
) -> subprocess.Popen[str]:
    """`billable serve` in a process of its own (no cache warming on start): `env` added to this
    process's environment, `unset` taken from it; its output (a line per request: read it, or send it
    elsewhere, or a full pipe stops the server) to `output`."""
    inherited = {name: value for name, value in os.environ.items() if name not in unset}
    return subprocess.Popen(
        [sys.executable, "-m", "web", "serve", *args],
        env={**inherited, "BILLABLE_WARM_ON_START": "false", **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition: Callable[[], object], what: str, timeout_s: float = 20) -> None:
    """Return once `condition()` is true (checked every 10 ms); fail with `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        time.sleep(0.01)


WAITING_FOR_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def a_lock_is_waited_on(db: Database, timeout_s: float = 10) -> bool:
    """Whether a connection to this database comes to wait for a lock within `timeout_s`. Not to be
    awaited inside a transaction: there pg_stat_activity stays as it was first read."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await db.fetch_val(WAITING_FOR_A_LOCK):
            return True
        await asyncio.sleep(0.01)
    return False


def wait_for(url: str, server: subprocess.Popen[str]) -> httpx2.Response:
    """The first answer from `url` of a server starting up; fails if it exits first or takes 90 s."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"billable serve exited early:\n{server.stdout.read() if server.stdout else ''}")
        try:
            return httpx2.get(url, timeout=2)
        except httpx2.TransportError:
            time.sleep(0.1)
    raise AssertionError("billable serve did not answer within 90 s")


def billable(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`billable ARGS` run as a command, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "web", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
