"""The client list's margin column (issue #20 item 5): admins see each client's cost and gross
margin and can sort by it; staff get neither the column nor a way to ask for it."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, sign_in, soup


@pytest.fixture
def costed(data: DataBuilder) -> dict[str, int]:
    """Acme: €2,000 retainer and 10 h at €50/h of cost; Bolt: €600 of time (6 h at €100), 6 h
    without a cost rate; Cove: nothing this month."""
    ana = data.user("Ana", email="ana@test.example", password=PASSWORD)
    kim = data.user("Kim")
    data.val("INSERT INTO user_cost_rates VALUES (:ana, '2026-01-01', 5000)", ana=ana)
    acme, bolt, cove = (data.client(name) for name in ("Acme", "Bolt", "Cove"))
    data.recurring(acme, 200_000, start=date(2026, 1, 1))
    data.entry(acme, ana, date(2026, 11, 3), 600, 10_000, billable=False)
    data.entry(bolt, kim, date(2026, 11, 4), 360, 10_000)
    return {"acme": acme, "bolt": bolt, "cove": cove}


def rows_of(html: str) -> list[list[str]]:
    return [[c.get_text(" ", strip=True) for c in tr.select("th, td.num")] for tr in soup(html).select("tr")]


def test_admins_see_and_sort_by_margin(client: TestClient, costed: dict[str, int]) -> None:
    page = soup(client.get("/?period=this_month").text)
    headers = [th.get_text(strip=True) for th in page.select("#client-list thead th")]
    assert headers == ["Client↑", "Revenue", "MRR", "Hours", "Per hour", "Margin", "12 months"]
    assert "costs=1" in page.select_one("#client-list tbody tr")["hx-get"]
    assert page.select_one("#sort-margin")["href"] == "/?period=this_month&sort=margin&dir=desc"
    listed = client.get("/partials/dashboard/client-list?period=this_month&sort=margin&dir=desc&costs=1").text
    order = [a.get_text() for a in soup(listed).select("tbody th a.client-name")]
    assert order == ["Acme", "Bolt", "Cove"]  # €1,500, €600, €0
    row = rows_of(client.get(f"/partials/dashboard/client-row?client={costed['bolt']}&period=this_month&costs=1").text)
    assert row[0][-1] == "€600 · 100.0% 6:00 h without a cost rate"
    row = rows_of(client.get(f"/partials/dashboard/client-row?client={costed['acme']}&period=this_month&costs=1").text)
    assert row[0][-1] == "€1,500 · 75.0%"  # €2,000 less 10 h at €50
    ascending = client.get("/partials/dashboard/client-list?period=this_month&sort=margin&dir=asc&costs=1").text
    assert [a.get_text() for a in soup(ascending).select("tbody th a.client-name")] == ["Cove", "Bolt", "Acme"]


def test_staff_get_no_costs_however_they_ask(anonymous: TestClient, costed: dict[str, int]) -> None:
    sign_in(anonymous, "ana@test.example")
    page = soup(anonymous.get("/?period=this_month&costs=1").text)  # costs in the address: ignored
    assert "Margin" not in page.select_one("#client-list thead").get_text()
    assert "costs=1" not in page.select_one("#client-list tbody tr")["hx-get"]
    for asked in (
        f"/partials/dashboard/client-row?client={costed['acme']}&period=this_month&costs=1",
        "/partials/dashboard/client-list?period=this_month&costs=1",
        "/export/clients.csv?period=this_month&costs=1",
    ):
        assert anonymous.get(asked).status_code == 403, asked
    refused = anonymous.get("/?period=this_month&sort=margin")
    assert refused.status_code == 400 and "Sorting by margin needs the costs" in refused.text
    staff_row = rows_of(anonymous.get(f"/partials/dashboard/client-row?client={costed['acme']}&period=this_month").text)
    assert len(staff_row[0]) == 5 and "€1,500" not in staff_row[0]
