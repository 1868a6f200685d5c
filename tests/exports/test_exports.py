"""CSV exports: the right rows, exact figures, streamed, validated, escaped against formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
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
    assert acme_row["revenue_per_hour"] == "923.04"  # €1,384.56 over 1.5 h
    assert rows[0]["revenue_per_hour"] == ""  # no time logged: no rate
    active = read(client.get("/export/clients.csv?period=this_month&status=active"))
    assert [r["name"] for r in active] == ["Acme"]
    assert client.get("/export/clients.csv?period=nope").status_code == 400
    page = soup(client.get("/").text)
    assert page.select_one(".pager__export")["href"] == "/export/clients.csv?period=this_month"


def test_admins_export_cost_and_margin_staff_do_not(
    anonymous: TestClient, client: TestClient, data: DataBuilder
) -> None:
    sam = data.user("Sam", email="sam@test.example", password=PASSWORD)
    data.val("INSERT INTO user_cost_rates VALUES (:sam, '2026-11-10', 4000)", sam=sam)  # €40/h from the 10th
    acme = data.client("Acme", rate_cents=10_000)
    data.entry(acme, sam, date(2026, 11, 3), 90, 10_000)  # before the cost rate: no cost, said
    data.entry(acme, sam, date(2026, 11, 12), 45, 10_000)  # €30 of cost
    (row,) = read(client.get("/export/clients.csv?period=this_month"))
    assert (row["revenue"], row["cost"], row["gross_margin"], row["hours_without_cost_rate"]) == (
        "225.00",
        "30.00",
        "195.00",
        "1.50",
    )
    sign_in(anonymous, "sam@test.example")
    (seen,) = read(anonymous.get("/export/clients.csv?period=this_month"))
    assert seen["revenue"] == "225.00" and not {"cost", "gross_margin", "hours_without_cost_rate"} & seen.keys()


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


# Section: whose time a staff member may export


@pytest.fixture
def team(data: DataBuilder) -> dict[str, int]:
    """Sam (staff, can sign in) and Kim, with an entry each in November 2026."""
    sam = data.user("Sam", email="sam@test.example", password=PASSWORD)
    kim = data.user("Kim")
    acme = data.client("Acme")
    data.entry(acme, sam, date(2026, 11, 3), 45, 8_000)
    data.entry(acme, kim, date(2026, 11, 4), 60, 9_000)
    return {"sam": sam, "kim": kim}


NOVEMBER = "/export/entries.csv?from=2026-11-01&to=2026-11-30"


def test_staff_cannot_export_someone_elses_entries(anonymous: TestClient, team: dict[str, int]) -> None:
    # As on the timesheet: refused, not silently answered with one's own entries.
    sign_in(anonymous, "sam@test.example")
    refused = anonymous.get(f"{NOVEMBER}&user={team['kim']}")
    assert refused.status_code == 403
    assert "You can only export your own time." in soup(refused.text).get_text()
    assert anonymous.get(f"{NOVEMBER}&user=424242").status_code == 403  # whether or not that person exists
    own = read(anonymous.get(f"{NOVEMBER}&user={team['sam']}"))
    assert [r["person"] for r in own] == ["Sam"]


def test_admins_export_one_persons_entries(client: TestClient, team: dict[str, int]) -> None:
    assert [r["person"] for r in read(client.get(f"{NOVEMBER}&user={team['kim']}"))] == ["Kim"]


@pytest.mark.parametrize(
    ("user", "status", "message"),
    [
        ("abc", 400, "Person must be an id (a positive whole number)."),
        ("-1", 400, "Person must be an id (a positive whole number)."),
        ("9" * 30, 400, "Person must be an id (a positive whole number)."),
        ("424242", 404, "There is no staff member with id 424242."),
    ],
)
def test_a_bad_person_is_said(client: TestClient, team: dict[str, int], user: str, status: int, message: str) -> None:
    response = client.get(f"{NOVEMBER}&user={user}")
    assert response.status_code == status
    assert message in soup(response.text).get_text()


# Section: the client export in the dashboard list's order


@pytest.fixture
def ranked(data: DataBuilder) -> None:
    """Four clients whose order differs by each sort in November 2026 (today is 15 November 2026)."""
    sam = data.user("Sam")
    bolt, acme, cobalt, delta = (data.client(name) for name in ("Bolt", "acme", "Cobalt", "Delta"))
    data.recurring(bolt, 50_000, start=date(2026, 1, 1))  # MRR 500, revenue 500
    data.one_off(acme, 90_000, on=date(2026, 11, 2))  # revenue 900, no MRR
    data.entry(cobalt, sam, date(2026, 11, 3), 600, 6_000)  # revenue 600, ten hours
    data.entry(delta, sam, date(2026, 11, 3), 60, 50_000)  # revenue 500 (ties with Bolt), one hour
    # Hours sort by the billable ones, which the column shows first: 11 hours of which none billable
    # rank Bolt below Delta.
    data.entry(bolt, sam, date(2026, 11, 4), 660, 0, billable=False)


def list_order(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/partials/dashboard/client-list?{query}")
    assert response.status_code == 200, response.text
    return [a.get_text() for a in soup(response.text).select("tbody th a.client-name")]  # rows come loaded


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=revenue&dir=desc", ["acme", "Cobalt", "Bolt", "Delta"]),  # ties by name, as the list
        ("sort=revenue&dir=asc", ["Bolt", "Delta", "Cobalt", "acme"]),
        ("sort=mrr&dir=desc", ["Bolt", "acme", "Cobalt", "Delta"]),
        ("sort=hours&dir=desc", ["Cobalt", "Delta", "acme", "Bolt"]),
        ("sort=name&dir=desc", ["Delta", "Cobalt", "Bolt", "acme"]),
        ("sort=name", ["acme", "Bolt", "Cobalt", "Delta"]),
    ],
)
def test_client_export_comes_in_the_list_order(
    client: TestClient, ranked: None, query: str, expected: list[str]
) -> None:
    query = f"period=this_month&{query}"
    assert list_order(client, query) == expected
    assert [r["name"] for r in read(client.get(f"/export/clients.csv?{query}"))] == expected


def test_the_dashboards_download_link_keeps_its_order(client: TestClient, ranked: None) -> None:
    # Sorted by a figure, the list loads after the page: its link is in the list partial.
    listed = client.get("/partials/dashboard/client-list?period=this_month&sort=revenue&dir=desc")
    link = soup(listed.text).select_one(".pager__export")["href"]
    assert link == "/export/clients.csv?period=this_month&sort=revenue&dir=desc"
    assert [r["name"] for r in read(client.get(link))] == ["acme", "Cobalt", "Bolt", "Delta"]


@pytest.mark.parametrize(
    ("query", "message"),
    [("sort=price", "Unknown sort “price”"), ("sort=revenue&dir=sideways", "Sort direction must be asc or desc.")],
)
def test_a_bad_sort_is_said(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/export/clients.csv?period=this_month&{query}")
    assert response.status_code == 400
    assert message in soup(response.text).get_text()


@pytest.mark.parametrize("name", ["＝1+1", "＠SUM(A1)", "  =1+1", "－2+3", "\t=1"])
def test_formulas_in_any_form_are_escaped(client: TestClient, data: DataBuilder, name: str) -> None:
    data.client(name)
    assert [r["name"] for r in read(client.get("/export/clients.csv?period=this_month"))] == ["'" + name]


def test_names_that_merely_contain_a_sign_are_left_alone(client: TestClient, data: DataBuilder) -> None:
    data.client("Smith & Co = Partners")
    data.client("A+ Studio")
    assert sorted(r["name"] for r in read(client.get("/export/clients.csv?period=this_month"))) == [
        "A+ Studio",
        "Smith & Co = Partners",
    ]
