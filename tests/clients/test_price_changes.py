"""Changing a retainer's price from a month on (issue #20 item 1): the months before keep what they
billed, a month gone by is confirmed first, and the services card and the history show the prices."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.support import DataBuilder, soup
from web.periods import Month


@pytest.fixture
def retainer(data: DataBuilder) -> tuple[int, int]:
    acme = data.client("Acme")
    return acme, data.recurring(acme, 100_000, start=date(2026, 1, 10))  # €1,000 a month


def edit(client: TestClient, acme: int, service: int, **changes: str):  # type: ignore[no-untyped-def]
    """Send the service's edit form as loaded, with `changes` typed into it."""
    form = soup(client.get(f"/clients/{acme}/services/{service}/edit").text).select_one("form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    fields |= {s["name"]: s.select_one("option[selected]")["value"] for s in form.select("select")}
    return client.post(form["hx-post"], data={**fields, **changes})


def months(data: DataBuilder, acme: int, client: TestClient) -> list[str]:
    """The client's revenue of September, October and November 2026, as its 24-month chart's table says."""
    page = soup(client.get(f"/partials/clients/chart?client={acme}").text)
    rows = {tr.select_one("th").get_text(): tr.select("td")[-1].get_text() for tr in page.select("tbody tr")}
    return [rows[Month(2026, m).label] for m in (9, 10, 11)]


def test_a_new_price_applies_from_this_month_and_the_past_keeps_its_own(
    client: TestClient, data: DataBuilder, retainer: tuple[int, int]
) -> None:
    acme, service = retainer
    form = soup(client.get(f"/clients/{acme}/services/{service}/edit").text)
    assert form.select_one("#service-price-from")["value"] == "2026-11"  # this month, by default
    assert form.select_one("#service-price")["value"] == "1000.00"
    saved = edit(client, acme, service, price="1200")
    assert saved.status_code == 200 and "Saved recurring service." in saved.text
    row = data.rows("SELECT monthly_price_cents, price_changes::text FROM services WHERE id = :id", id=service)[0]
    assert row == {"monthly_price_cents": 100_000, "price_changes": '[{"from": "2026-11-01", "cents": 120000}]'}
    assert months(data, acme, client) == ["€1,000", "€1,000", "€1,200"]
    card = soup(client.get(f"/partials/clients/services?client={acme}").text)
    assert card.select_one("tbody td.num").get_text(" ", strip=True).startswith("€1,200.00 / month")
    assert [li.get_text() for li in card.select(".price-terms li")] == [
        "€1,000.00 from Jan 2026",
        "€1,200.00 from Nov 2026",
    ]
    history = soup(client.get(f"/clients/{acme}").text).select_one(".history").get_text(" ")
    assert "changed service recurring service: Monthly price €1,000.00 → €1,200.00 from Nov 2026" in " ".join(
        history.split()
    )


def test_a_price_from_a_month_gone_by_is_confirmed_before_it_is_saved(
    client: TestClient, data: DataBuilder, retainer: tuple[int, int]
) -> None:
    acme, service = retainer
    asked = edit(client, acme, service, price="1100", price_from="2026-09")
    assert asked.status_code == 200
    form = soup(asked.text)
    assert (
        "the revenue of Sep 2026 – Oct 2026, already reported, changes with it" in form.select_one(".notice").get_text()
    )
    assert form.select_one("input[name=confirm]")["value"] == "1" and form.select_one("#service-submit").get_text() == (
        "Save anyway"
    )
    assert data.val("SELECT price_changes::text FROM services WHERE id = :id", id=service) == "[]"  # not yet
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    fields["kind"] = "recurring"
    confirmed = client.post(form.select_one("form")["hx-post"], data=fields)
    assert confirmed.status_code == 200 and "Saved" in confirmed.text
    assert months(data, acme, client) == ["€1,100", "€1,100", "€1,100"]


def test_a_price_from_the_first_month_is_the_first_price(
    client: TestClient, data: DataBuilder, retainer: tuple[int, int]
) -> None:
    acme, service = retainer
    data.price_change(service, date(2026, 3, 1), 105_000)
    edit(client, acme, service, price="900", price_from="2026-01", confirm="1")
    row = data.rows("SELECT monthly_price_cents, price_changes::text FROM services WHERE id = :id", id=service)[0]
    assert row == {"monthly_price_cents": 90_000, "price_changes": '[{"from": "2026-03-01", "cents": 105000}]'}


def test_editing_anything_but_the_price_dates_nothing(
    client: TestClient, data: DataBuilder, retainer: tuple[int, int]
) -> None:
    acme, service = retainer
    data.price_change(service, date(2026, 9, 1), 120_000)
    assert edit(client, acme, service, name="Care plan").status_code == 200
    row = data.rows("SELECT name, monthly_price_cents, price_changes::text FROM services WHERE id = :id", id=service)
    assert row == [
        {
            "name": "Care plan",
            "monthly_price_cents": 100_000,
            "price_changes": '[{"from": "2026-09-01", "cents": 120000}]',
        }
    ]


@pytest.mark.parametrize("typed", ["2026-13", "26-11", "November", "2026-1"])
def test_a_wrong_month_is_said_next_to_its_field(
    client: TestClient, data: DataBuilder, retainer: tuple[int, int], typed: str
) -> None:
    acme, service = retainer
    refused = edit(client, acme, service, price="1200", price_from=typed)
    assert refused.status_code == 422
    form = soup(refused.text)
    assert "is not a month; use YYYY-MM" in form.select_one("#service-error-price_from").get_text()
    assert form.select_one("#service-price-from")["value"] == typed
    assert data.val("SELECT price_changes::text FROM services WHERE id = :id", id=service) == "[]"


def test_reactivating_a_retainer_bills_its_last_price(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    service = data.recurring(acme, 100_000, start=date(2025, 1, 1), end=date(2026, 5, 4))
    data.price_change(service, date(2026, 2, 1), 125_000)
    response = client.post(f"/clients/{acme}/services/{service}/reactivate", data={"version": "1"})
    assert response.status_code == 200, response.text
    assert data.val("SELECT monthly_price_cents FROM services WHERE id <> :id", id=service) == 125_000
