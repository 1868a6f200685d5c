"""After a write, no cached partial shows an old figure, in this process or another; unrelated
partials stay cached."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx2
import pytest
from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, free_port, login_form_token, serve, server_timing, soup, wait_for

# November 2026 by name: the second process runs on the real clock, this one on TODAY's.
REVENUE = "/partials/dashboard/revenue?period=custom&from=2026-11-01&to=2026-11-30"


def figure(response) -> str:  # type: ignore[no-untyped-def]
    return soup(response.text).select_one(".figure").get_text()


def outcome(response) -> str:  # type: ignore[no-untyped-def]
    return server_timing(response.headers["server-timing"])["cache"]["desc"]


@pytest.fixture
def two_clients(data: DataBuilder) -> dict[str, int]:
    acme = data.client("Acme", rate_cents=10_000)
    bolt = data.client("Bolt")
    data.recurring(bolt, 100_000, start=date(2026, 1, 1))
    return {"acme": acme, "bolt": bolt}


def log_hour(client: TestClient, client_id: int) -> None:
    form = {"work_date": "2026-11-12", "client_id": str(client_id), "duration": "1:00", "billable": "on"}
    assert client.post("/timesheet/entries", data=form).status_code == 200


def test_a_write_refreshes_what_it_changes_and_nothing_else(client: TestClient, two_clients: dict[str, int]) -> None:
    acme_row = f"/partials/dashboard/client-row?client={two_clients['acme']}&period=this_month"
    bolt_row = f"/partials/dashboard/client-row?client={two_clients['bolt']}&period=this_month"
    for url in (REVENUE, acme_row, bolt_row):
        client.get(url)
    assert figure(client.get(REVENUE)) == "€1,000"
    log_hour(client, two_clients["acme"])  # €100 for Acme
    revenue = client.get(REVENUE)
    assert (outcome(revenue), figure(revenue)) == ("miss", "€1,100")
    acme = client.get(acme_row)
    assert outcome(acme) == "miss" and "€100" in acme.text
    assert outcome(client.get(bolt_row)) == "hit"  # another client's row stays cached


@pytest.fixture
def second_process(database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """Another `billable serve` process on the same database (and the tests' Redis when asked)."""
    port = free_port()
    env = {"DATABASE_URL": database_url, "BILLABLE_SECRET_KEY": "test-secret", "BILLABLE_WARM_ON_START": "true"}
    env["BILLABLE_CACHE_URL"] = request.getfixturevalue("redis_url") if getattr(request, "param", None) else "memory://"
    server = serve(["--port", str(port)], env, output=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/healthz", server)
    yield base
    server.send_signal(signal.SIGINT)
    server.communicate(timeout=20)


@contextmanager
def signed_in(base: str, email: str) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=base) as browser:
        token = login_form_token(browser.get("/login").text)
        response = browser.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 303
        yield browser


def write_in_one_process_and_read_in_another(client: TestClient, base: str, two_clients: dict[str, int]) -> None:
    with signed_in(base, "ada@test.example") as other:
        assert figure(other.get(REVENUE)) == "€1,000"
        assert outcome(other.get(REVENUE)) == "hit"
        log_hour(client, two_clients["acme"])
        written = time.monotonic()
        while figure(response := other.get(REVENUE)) != "€1,100":
            assert time.monotonic() - written < 1.0, "the other process still shows the old figure after 1 s"
            time.sleep(0.02)
        assert outcome(response) in ("miss", "hit")


def test_a_write_in_one_process_reaches_another_with_memory_caches(
    client: TestClient, two_clients: dict[str, int], second_process: str
) -> None:
    write_in_one_process_and_read_in_another(client, second_process, two_clients)


@pytest.mark.parametrize("second_process", ["redis"], indirect=True)
def test_a_write_in_one_process_reaches_another_through_redis(
    open_app,
    redis_url: str,
    two_clients: dict[str, int],
    second_process: str,  # type: ignore[no-untyped-def]
) -> None:
    with open_app(cache_url=redis_url) as client:
        client.portal.call(client.app.state.billable.cache.clear)
        write_in_one_process_and_read_in_another(client, second_process, two_clients)


def test_a_write_replaces_the_entries_it_changes_instead_of_adding_to_them(
    open_app,
    redis_url: str,
    two_clients: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    # Versions in the keys left each superseded entry in the cache until it expired: a worker under
    # steady writes grew by megabytes a minute (issue #18's soak).
    import redis

    acme_row = f"/partials/dashboard/client-row?client={two_clients['acme']}&period=this_month"
    with open_app(cache_url=redis_url) as client, redis.Redis.from_url(redis_url) as server:
        client.portal.call(client.app.state.billable.cache.clear)

        def entries() -> int:
            return sum(1 for _ in server.scan_iter(match="billable:*dashboard/*"))

        for _ in range(3):
            for url in (REVENUE, acme_row):
                assert outcome(client.get(url)) == "miss"
            assert entries() == 2
            log_hour(client, two_clients["acme"])
        assert figure(client.get(REVENUE)) == "€1,300"
        assert entries() == 2
        client.portal.call(client.app.state.billable.cache.clear)
