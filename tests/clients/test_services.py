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
    assert services_partial(client, acme) == {"1 Jan 2026 – 4 May 2026": ["Edit", "Reactivate"]}
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
        "15 Nov 2026 – open": ["Edit", "End today"],
        "1 Jan 2026 – 4 May 2026": ["Edit"],
    }
    assert data.val("SELECT count(*) FROM audit_log WHERE entity = 'service' AND action = 'create'") == 1
    # History tells the new run for what it is, with what it started with.
    history = " ".join(soup(client.get(f"/clients/{acme}").text).select_one(".history").text.split())
    assert "reactivated service recurring service: Kind Recurring; Monthly price €1,000.00; Start date 2026-11-15" in (
        history
    )
    assert "created service" not in history


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
    history = " ".join(soup(client.get(f"/clients/{acme}").text).select_one(".history").text.split())
    assert f"reactivated service recurring service: End date {end.isoformat()} → —" in history


def test_a_service_that_has_not_ended_is_not_reactivated(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    hosting = data.recurring(acme, 100_000, start=date(2026, 1, 1))
    status, text = reactivate(client, acme, hosting, 1)
    assert status == 422 and "has not ended" in text
    assert data.rows("SELECT end_date, version FROM services") == [{"end_date": None, "version": 1}]


def test_a_service_that_starts_later_offers_no_end_today(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    later = data.recurring(acme, 100_000, start=date(2026, 12, 1))
    assert services_partial(client, acme) == {"1 Dec 2026 – open": ["Edit"]}
    posted = client.post(f"/clients/{acme}/services/{later}/end", data={"version": "1", "end_date": TODAY.isoformat()})
    assert posted.status_code == 422
    assert "starts on 2026-12-01 and cannot end before it starts; edit its dates instead" in posted.text
    assert data.rows("SELECT end_date, version FROM services") == [{"end_date": None, "version": 1}]


def test_a_one_off_cannot_be_ended_even_by_a_request_made_by_hand(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    launch = data.one_off(acme, 90_000, on=date(2026, 10, 1))
    posted = client.post(f"/clients/{acme}/services/{launch}/end", data={"version": "1", "end_date": TODAY.isoformat()})
    assert posted.status_code == 422
    assert "is a one-off service; it has no end" in posted.text
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


def service_statuses(client: TestClient, client_id: int) -> dict[str, str]:
    """Each service row's dates -> the status it shows."""
    page = soup(client.get(f"/partials/clients/services?client={client_id}").text)
    return {row.select("td")[2].text: row.select("td")[3].text for row in page.select("tbody tr")}


def test_a_one_off_is_scheduled_then_done_not_active_for_ever(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    data.one_off(acme, 50_000, on=date(2026, 12, 1))
    data.one_off(acme, 50_000, on=TODAY)
    data.one_off(acme, 50_000, on=date(2026, 11, 3))
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    assert service_statuses(client, acme) == {
        "1 Dec 2026": "scheduled",
        "15 Nov 2026": "today",
        "3 Nov 2026": "done",
        "1 Jan 2026 – open": "active",
    }


def test_an_end_date_for_a_one_off_is_refused_next_to_the_field(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    form = soup(client.get(f"/clients/{acme}/services/new").text)
    assert "recurring and hourly only" in form.select_one("label[for=service-end]").text
    one_off = {"name": "Launch", "kind": "one_off", "price": "900", "start_date": "2026-11-20"}
    refused = client.post(f"/clients/{acme}/services", data={**one_off, "end_date": "2026-12-31"})
    assert refused.status_code == 422
    page = soup(refused.text)
    assert page.select_one("#service-error-end_date").text == (
        "A one-off service has no end date (it bills once, on its date); leave End empty."
    )
    assert page.select_one("#service-name")["value"] == "Launch"  # what was typed stays
    assert data.val("SELECT count(*) FROM services") == 0
    assert client.post(f"/clients/{acme}/services", data={**one_off, "end_date": ""}).status_code == 200
    assert data.rows("SELECT kind, start_date, end_date FROM services") == [
        {"kind": "one_off", "start_date": date(2026, 11, 20), "end_date": None}
    ]


def test_a_service_of_another_client_is_not_found_rather_than_deleted(client: TestClient, data: DataBuilder) -> None:
    owner, other = data.client("Owner"), data.client("Other")
    hosting = data.recurring(owner, 100_000, start=date(2026, 1, 1))
    form = {"name": "Taken", "kind": "recurring", "price": "1", "start_date": "2026-01-01", "version": "1"}
    said = f"There is no service {hosting} for this client."
    saved = client.post(f"/clients/{other}/services/{hosting}", data=form)
    assert saved.status_code == 404
    assert soup(saved.text).select_one("#service-form [role=alert]").text == said  # the editor stays usable
    assert soup(saved.text).select_one("#service-form")["hx-post"] == f"/clients/{other}/services"
    ended = client.post(f"/clients/{other}/services/{hosting}/end", data={"version": "1", "end_date": "2026-11-15"})
    assert (ended.status_code, said in ended.text) == (404, True)
    edit = client.get(f"/clients/{other}/services/{hosting}/edit", headers={"HX-Request": "true"})
    assert (edit.status_code, said in edit.text) == (404, True)
    assert data.rows("SELECT name, end_date, version FROM services") == [
        {"name": "recurring service", "end_date": None, "version": 1}
    ]


def test_a_service_form_without_its_version_says_to_reload(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    hosting = data.recurring(acme, 100_000, start=date(2026, 1, 1))
    form = {"name": "Hosting", "kind": "recurring", "price": "1000", "start_date": "2026-01-01"}
    refused = client.post(f"/clients/{acme}/services/{hosting}", data=form)
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#service-error-version").text == (
        "This form is missing its version; reload the page and try again."
    )
