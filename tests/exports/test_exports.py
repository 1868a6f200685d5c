"""CSV exports: the right rows, exact figures, streamed, validated, escaped against formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, sign_in, soup


def read(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_client_list_export_follows_the_filters(client: TestClient, data: DataBuilder) -> None:
    sam = data.user("Sam")
    acme = data.client("Acme", rate_cents=10_000)
    data.client('=HYPERLINK("evil")', status="churned")
    data.recurring(acme, 123_456, start=date(2026, 1, 1))
    data.entry(acme, sam, date(2026, 11, 3), 90, 10_000)
    rows = read(client.get("/export/clients.csv?period=this_month"))
    assert [r["name"] for r in rows] == ['=HYPERLINK("evil")'.join(("'", "")), "Acme"]
    acme_row = rows[1]
    assert (acme_row["revenue"], acme_row["recurring"], acme_row["hourly"], acme_row["mrr"]) == (
        "1384.56",
        "1234.56",
        "150.00",
        "1234.56",
    )
    assert (acme_row["billable_hours"], acme_row["hours"]) == ("1.50", "1.50")
    active = read(client.get("/export/clients.csv?period=this_month&status=active"))
    assert [r["name"] for r in active] == ["Acme"]
    assert client.get("/export/clients.csv?period=nope").status_code == 400
    page = soup(client.get("/").text)
    assert page.select_one(".pager__export")["href"] == "/export/clients.csv?period=this_month"


def test_a_large_client_export_streams(client: TestClient, data: DataBuilder) -> None:
    data.val("INSERT INTO clients (name, status) SELECT 'Client ' || n, 'active' FROM generate_series(1, 3000) n")
    with client.stream("GET", "/export/clients.csv?period=this_month") as response:
        chunks = list(response.iter_text())
    assert len(chunks) > 3  # sent as it was read, not in one piece
    assert len(read(type("R", (), {"headers": response.headers, "text": "".join(chunks)})())) == 3000


def test_entries_export_own_or_all(anonymous: TestClient, admin: str, data: DataBuilder) -> None:
    sam = data.user("Sam", email="sam@test.example", password=PASSWORD)
    kim = data.user("Kim")
    acme = data.client("Acme")
    data.entry(acme, sam, date(2026, 11, 3), 45, 8_000)
    data.entry(acme, kim, date(2026, 11, 4), 60, 9_000, billable=False)
    data.entry(acme, sam, date(2026, 12, 4), 60, 9_000)
    sign_in(anonymous, "sam@test.example")
    own = read(anonymous.get("/export/entries.csv?from=2026-11-01&to=2026-11-30"))
    assert [(r["person"], r["minutes"], r["hours"], r["rate"], r["amount"]) for r in own] == [
        ("Sam", "45", "0.75", "80.00", "60.00")
    ]
    anonymous.cookies.clear()
    sign_in(anonymous, admin)
    everyone = read(anonymous.get("/export/entries.csv?from=2026-11-01&to=2026-11-30"))
    assert [(r["person"], r["billable"], r["amount"]) for r in everyone] == [
        ("Sam", "yes", "60.00"),
        ("Kim", "no", "0.00"),
    ]
    for bad in (
        "from=2026-11-30&to=2026-11-01",
        "from=2026-02-30&to=2026-03-01",
        "to=2026-03-01",
        "from=x&to=y",
        "from=1990-01-01&to=2026-01-01",
    ):
        assert anonymous.get(f"/export/entries.csv?{bad}").status_code == 400, bad
