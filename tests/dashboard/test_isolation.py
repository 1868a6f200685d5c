"""A failing or slow partial renders its own error state; the rest of the page is unaffected."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from tests.support import DataBuilder, OpenApp, server_timing, soup


@pytest.fixture
def acme(data: DataBuilder) -> int:
    client_id = data.client("Acme")
    data.recurring(client_id, 100_000, start=date(2026, 1, 1))
    return client_id


def test_a_failing_query_breaks_only_its_partials(
    client: TestClient, data: DataBuilder, acme: int, portal: BlockingPortal
) -> None:
    # A real failure: the services table is gone while the app runs.
    data.val("ALTER TABLE services RENAME TO services_away")
    try:
        broken = client.get("/partials/dashboard/mrr?period=this_month")
        working = client.get("/partials/dashboard/clients?period=this_month")
    finally:
        data.val("ALTER TABLE services_away RENAME TO services")
    assert broken.status_code == 500
    card = soup(broken.text).select_one("#card-mrr.card--error")
    assert "This could not be loaded." in card.get_text()
    retry = card.select_one("button")
    assert retry["hx-get"] == "/partials/dashboard/mrr?period=this_month"
    assert retry["hx-target"] == "#card-mrr"
    assert "Traceback" not in broken.text and "services" not in broken.text
    assert working.status_code == 200
    assert soup(working.text).select_one("#card-clients .figure").get_text() == "1"
    # Once the cause is gone, the retry succeeds (failures are never cached).
    again = client.get(retry["hx-get"])
    assert again.status_code == 200
    assert soup(again.text).select_one(".figure").get_text() == "€1,000"


def test_a_partial_over_its_budget_shows_its_error_and_fills_the_cache_later(
    open_app: OpenApp, acme: int, locked_services: threading.Event
) -> None:
    # A budget the quick partial keeps even when test workers share the cores (its new connection
    # alone took 500 ms then), and the slow one, behind the lock, can never keep.
    with open_app(partial_budget_ms=1000) as client:
        slow = client.get("/partials/dashboard/mrr?period=this_month")
        quick = client.get("/partials/dashboard/clients?period=this_month")
        assert slow.status_code == 504
        assert "This is taking too long." in slow.text
        assert soup(slow.text).select_one("#card-mrr button")["hx-get"] == "/partials/dashboard/mrr?period=this_month"
        assert quick.status_code == 200
        # The work goes on after the request gave up: the retry joins it (or finds its result in
        # the cache) instead of querying again.
        locked_services.set()
        retry = client.get("/partials/dashboard/mrr?period=this_month")
        assert retry.status_code == 200
        assert server_timing(retry.headers["server-timing"])["db"]["desc"] == "0 queries"
        assert soup(retry.text).select_one(".figure").get_text() == "€1,000"
        again = client.get("/partials/dashboard/mrr?period=this_month")
        assert server_timing(again.headers["server-timing"])["cache"]["desc"] == "hit"
