"""PostgreSQL hung (SIGSTOP) under a running app: every request ends within its budget, the cached
figures are still served, and everything is back within a second of the server answering again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.faults.conftest import ADMIN, OwnPostgres
from tests.support import DataBuilder, OpenApp, later, server_timing, sign_in, soup
from web.app import create_app
from web.settings import Settings

CARD = "/partials/dashboard/mrr?period={}"
BUDGET_S = 1.0  # every budget here: the request's, the partial's, the wait for a connection


@pytest.fixture
def client(own_postgres: OwnPostgres, settings: Settings, today: date) -> Iterator[TestClient]:
    ms = int(BUDGET_S * 1000)
    changes = dict(request_budget_ms=ms, partial_budget_ms=ms, db_wait_ms=ms, pool_min=2, pool_max=4, ttl_stats_s=2)
    app = create_app(settings.replace(database_url=own_postgres.url, **changes), today=lambda: today)
    with TestClient(app) as test_client:
        sign_in(test_client, ADMIN)
        yield test_client


def timed(client: TestClient, url: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - started, response.status_code, response.text


def test_a_hung_database_costs_each_request_its_budget_at_most(client: TestClient, own_postgres: OwnPostgres) -> None:
    assert client.get(CARD.format("this_month")).status_code == 200  # cached from now on
    later(client.app, 2.1)  # ... and expired (its TTL is 2 s here, kept 4): served stale while it is refreshed
    state = client.app.state.billable
    # The periodic re-check of the signed-in user is due: it must not hold a cached figure back.
    for token, check in list(state.session_checks.items()):
        state.session_checks[token] = replace(check, at=check.at - 60)
    own_postgres.hang()
    try:
        cached = client.get(CARD.format("this_month"))
        took_cached = float(cached.headers["x-response-time"].removesuffix("ms")) / 1000
        uncached = timed(client, CARD.format("last_month"))
        page = client.get("/timesheet")
        page_took = float(page.headers["x-response-time"].removesuffix("ms")) / 1000
        ready = timed(client, "/readyz")
    finally:
        own_postgres.resume()
    assert cached.status_code == 200 and server_timing(cached.headers["server-timing"])["cache"]["desc"] == "stale"
    assert "Updating…" in soup(cached.text).select_one(".badge").get_text()  # the figure as it was, said so
    assert took_cached < BUDGET_S + 1, f"a cached partial took {took_cached:.2f} s"
    assert uncached[1] in (503, 504) and "Retry" in uncached[2], uncached
    assert uncached[0] < BUDGET_S + 1, f"an uncached partial took {uncached[0]:.2f} s"
    assert (page.status_code, page.headers.get("retry-after")) == (503, "2")
    assert page_took < BUDGET_S + 1, f"a page took {page_took:.2f} s"
    assert ready[1:] == (503, "not ready: database not answering") and ready[0] < 2.0, ready
    # Back: within a second of the server answering, so is the app.
    deadline = time.monotonic() + 1.0
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready 1 s after the database came back"
    assert client.get(CARD.format("last_month")).status_code == 200
    assert client.get("/timesheet").status_code == 200


def test_a_full_pool_answers_a_page_503_after_a_bounded_wait(
    open_app: OpenApp, data: DataBuilder, locked_services: threading.Event
) -> None:
    data.client("Acme")
    changes = dict(pool_min=1, pool_max=1, db_wait_ms=300, partial_budget_ms=5000, request_budget_ms=5000)
    with open_app(**changes) as client:
        pool = client.app.state.billable.db
        # The only connection waits on the locked table for a partial.
        holder = threading.Thread(target=client.get, args=(CARD.format("this_month"),))
        holder.start()
        while pool.pool_stats().in_use < 1:
            time.sleep(0.01)
        took, status, _ = timed(client, "/timesheet")
        retry_after = client.get("/timesheet").headers.get("retry-after")
        locked_services.set()
        holder.join(10)
        after = client.get("/timesheet").status_code
    assert (status, retry_after) == (503, "2")
    assert took < 1.0, f"a page waited {took:.2f} s for a connection (the bound is 0.3 s)"
    assert after == 200  # and once the connection is free again, pages are served


def test_a_killed_database_is_a_fast_503_and_the_app_is_back_within_a_second_of_it(
    client: TestClient, own_postgres: OwnPostgres
) -> None:
    assert client.get("/timesheet").status_code == 200
    own_postgres.kill()
    took, status, _ = timed(client, "/timesheet")
    partial = timed(client, CARD.format("last_month"))
    assert status == 503 and took < BUDGET_S + 1, (status, took)
    assert partial[1] in (500, 503) and "Retry" in partial[2] and partial[0] < BUDGET_S + 1, partial[:2]
    own_postgres.restart()
    back = time.monotonic()
    while client.get("/timesheet").status_code != 200:
        assert time.monotonic() - back < 1.0, "pages failed for more than 1 s after the database was back"
    assert client.get(CARD.format("last_month")).status_code == 200
    assert client.get("/readyz").status_code == 200


def test_a_cut_invalidation_listener_reconnects_and_misses_no_write(open_app: OpenApp, data: DataBuilder) -> None:
    clients_card = "/partials/dashboard/clients?period=this_month"
    with open_app() as writer, open_app() as reader:
        assert soup(reader.get(clients_card).text).select_one(".figure").get_text() == "0"  # cached now
        listener = reader.app.state.billable.registry.versions._connection.get_server_pid()
        assert data.val("SELECT pg_terminate_backend(:pid)", pid=listener) is True
        made = writer.post("/clients", data={"name": "Nova Labs", "status": "active"}, follow_redirects=False)
        assert made.status_code == 303  # its NOTIFY went out while the reader was not listening
        started = time.monotonic()
        while soup(reader.get(clients_card).text).select_one(".figure").get_text() != "1":
            assert time.monotonic() - started < 3, "the reader kept serving the figure from before the write"
            time.sleep(0.05)
