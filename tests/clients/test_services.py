"""Ending and reactivating a client's services: what the buttons offer, and what the revenue does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from tests.support import TODAY, DataBuilder, soup
from web.db import Database
from web.periods import Month
from web.queries import figures
from web.queries.scope import ClientScope

# revenue(client_id) -> cents of each month January..November 2026, oldest first
Revenue = Callable[[int], list[int]]


@pytest.fixture
def revenue(test_db: Database, portal: BlockingPortal) -> Revenue:
    """Monthly revenue through both real paths: the client's own figures, and the status totals."""

    def months(client_id: int) -> list[int]:
        series = {
            scope: [
                m.revenue_cents
                for m in portal.call(figures.monthly_revenue, test_db, scope, Month(2026, 1), Month.of(TODAY))
            ]
            for scope in (ClientScope(client_id=client_id), ClientScope(status="active"))
        }
        by_client, by_status = series.values()
        assert by_client == by_status
        return by_client

    return months


def services_partial(client: TestClient, client_id: int) -> dict[str, list[str]]:
    """Each service row's dates -> the buttons it offers."""
    page = soup(client.get(f"/partials/clients/services?client={client_id}").text)
    return {row.select("td")[2].text: [b.text for b in row.select("button")] for row in page.select("tbody tr")}


def this_month(client: TestClient, client_id: int) -> str:
    """The client's revenue this month, as the figures card shows it."""
    page = soup(client.get(f"/partials/clients/figures?client={client_id}&period=this_month").text)
    return str(page.select_one(".figure").text)


def reactivate(client: TestClient, client_id: int, service_id: int, version: int) -> tuple[int, str]:
    response = client.post(f"/clients/{client_id}/services/{service_id}/reactivate", data={"version": str(version)})
    return response.status_code, response.text


def test_reactivating_a_service_ended_months_ago_bills_it_from_today_only(
    client: TestClient, data: DataBuilder, revenue: Revenue
) -> None:
    acme = data.client("Acme")
    hosting = data.recurring(acme, 100_000, start=date(2026, 1, 1), end=date(2026, 5, 4))
    before = revenue(acme)
    assert before == [100_000] * 5 + [0] * 6
    assert services_partial(client, acme) == {"2026-01-01 – 2026-05-04": ["Edit", "Reactivate"]}
    assert this_month(client, acme) == "€0"

    status, text = reactivate(client, acme, hosting, 1)
    assert status == 200
    # June..October, already reported, stay as they were; November bills it again.
    assert revenue(acme) == [*before[:-1], 100_000]
    assert this_month(client, acme) == "€1,000"  # the cached figures were invalidated
    assert "Reactivated recurring service from 2026-11-15" in text
    assert data.rows("SELECT name, kind, monthly_price_cents, start_date, end_date FROM services ORDER BY id") == [
        {"name": "recurring service", "kind": "recurring", "monthly_price_cents": 100_000}
        | {"start_date": date(2026, 1, 1), "end_date": date(2026, 5, 4)},
        {"name": "recurring service", "kind": "recurring", "monthly_price_cents": 100_000}
        | {"start_date": TODAY, "end_date": None},
    ]
    # The ended run stays as history, no longer offering to come back: it already has.
    assert services_partial(client, acme) == {
        "2026-11-15 – open": ["Edit", "End today"],
        "2026-01-01 – 2026-05-04": ["Edit"],
    }
    assert data.val("SELECT count(*) FROM audit_log WHERE entity = 'service' AND action = 'create'") == 1


def test_reactivating_twice_makes_no_second_copy(client: TestClient, data: DataBuilder, revenue: Revenue) -> None:
    acme = data.client("Acme")
    hosting = data.recurring(acme, 100_000, start=date(2026, 1, 1), end=date(2026, 5, 4))
    assert reactivate(client, acme, hosting, 1)[0] == 200
    # A double click sends the version the page showed again.
    assert reactivate(client, acme, hosting, 1)[0] == 409
    # A fresh page's version: refused, the service is carried on already.
    status, text = reactivate(client, acme, hosting, 2)
    assert status == 422 and "was reactivated already" in text
    assert data.val("SELECT count(*) FROM services") == 2
    assert revenue(acme)[-1] == 100_000


@pytest.mark.parametrize(
    "end",
    [TODAY, date(2026, 11, 3), date(2026, 12, 31)],
    ids=["ended today", "ended earlier this month", "end scheduled"],
)
def test_reactivating_a_service_ending_this_month_or_later_undoes_the_end(
    client: TestClient, data: DataBuilder, revenue: Revenue, end: date
) -> None:
    acme = data.client("Acme")
    hosting = data.recurring(acme, 100_000, start=date(2026, 1, 1), end=end)
    before = revenue(acme)
    status, text = reactivate(client, acme, hosting, 1)
    assert status == 200 and "Reactivated recurring service." in text
    assert data.rows("SELECT id, end_date, version FROM services") == [{"id": hosting, "end_date": None, "version": 2}]
    assert revenue(acme) == before  # November was billed once, and still is


def test_a_service_that_has_not_ended_is_not_reactivated(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    hosting = data.recurring(acme, 100_000, start=date(2026, 1, 1))
    status, text = reactivate(client, acme, hosting, 1)
    assert status == 422 and "has not ended" in text
    assert data.rows("SELECT end_date, version FROM services") == [{"end_date": None, "version": 1}]


def test_a_service_that_starts_later_offers_no_end_today(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    later = data.recurring(acme, 100_000, start=date(2026, 12, 1))
    assert services_partial(client, acme) == {"2026-12-01 – open": ["Edit"]}
    posted = client.post(f"/clients/{acme}/services/{later}/end", data={"version": "1", "end_date": TODAY.isoformat()})
    assert posted.status_code == 422
    assert "starts on 2026-12-01 and cannot end before it starts; edit its dates instead" in posted.text
    assert data.rows("SELECT end_date, version FROM services") == [{"end_date": None, "version": 1}]


def test_end_and_reactivate_buttons_are_disabled_while_their_request_runs(
    client: TestClient, data: DataBuilder
) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    data.recurring(acme, 100_000, start=date(2026, 1, 1), end=date(2026, 5, 4))
    page = soup(client.get(f"/partials/clients/services?client={acme}").text)
    posting = page.select("button[hx-post]")
    assert sorted(b.text for b in posting) == ["End today", "Reactivate"]
    assert all(b["hx-disable"] == "this" for b in posting)
