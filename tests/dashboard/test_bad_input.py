"""Input a user can type: a clear 400/404 and message in place, never a 500."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from tests.support import DataBuilder, soup

BAD_FILTERS = [
    ("period=fortnight", "period", "Unknown period “fortnight”"),
    (
        "period=custom&from=2024-13-01&to=2024-12-31",
        "from",
        "Start date “2024-13-01” is not a date that exists; use YYYY-MM-DD.",
    ),
    ("period=custom&from=2024-02-30&to=2024-03-01", "from", "is not a date"),
    ("period=custom&from=yesterday&to=2024-03-01", "from", "is not a date"),
    # Only as the date fields write dates: the form could not show these back.
    ("period=custom&from=20240101&to=2024-03-01", "from", "Start date “20240101” is not a date"),
    ("period=custom&from=2024-W01-1&to=2024-03-01", "from", "is not a date"),
    # A long value is quoted cut short, not page-wide.
    ("period=" + "a" * 5000, "period", "Unknown period “aaaaaaaaaaaaaaaaaaaa…”"),
    ("status=" + "b" * 3000, "status", "Unknown client status “bbbbbbbbbbbbbbbbbbbb…”"),
    ("period=custom&from=2024-03-01", "to", "End date is required for a custom period."),
    ("period=custom&from=2024-03-02&to=2024-03-01", "to", "The end date must be on or after the start date."),
    ("period=custom&from=1000-01-01&to=2024-03-01", "from", "between 1 Jan 1900 and 31 Dec 2200"),
    ("period=custom&from=1990-01-01&to=2024-03-01", "to", "at most ten years"),
    ("page=-1", "page", "Page must be a whole number from 1 to 100,000."),
    ("page=0", "page", "Page must be a whole number"),
    ("page=abc", "page", "Page must be a whole number"),
    ("page=99999999999999999999999", "page", "Page must be a whole number"),
    ("page=" + "9" * 5000, "page", "Page must be a whole number"),
    ("page=1.5", "page", "Page must be a whole number"),
    ("per_page=30", "per_page", "Rows per page must be one of 25, 50, 100, 200."),
    ("sort=price", "sort", "Unknown sort “price”"),
    ("sort=revenue&dir=sideways", "dir", "Sort direction must be asc or desc."),
    ("status=happy", "status", "Unknown client status “happy”"),
    ("manager=bob", "manager", "Account manager must be an id"),
    ("manager=-3", "manager", "Account manager must be an id"),
    ("q=" + "x" * 101, "q", "Search is limited to 100 characters."),
]


@pytest.mark.parametrize(("query", "field", "message"), BAD_FILTERS)
def test_shell_shows_the_error_next_to_the_field(
    client: TestClient, data: DataBuilder, query: str, field: str, message: str
) -> None:
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    page = soup(response.text)
    assert message in page.select_one(f"#error-{field}").get_text()
    assert message in page.select_one("#dashboard .notice").get_text()
    # Nothing is loaded for filters that cannot be used.
    assert page.select("[hx-trigger=load]") == []


def test_several_errors_read_as_sentences(client: TestClient, data: DataBuilder) -> None:
    notice = soup(client.get("/?period=custom").text).select_one("#dashboard .notice").get_text(" ", strip=True)
    assert "custom period. End date is required" in notice and ".;" not in notice


def test_a_wrong_sort_is_not_sent_again(client: TestClient, data: DataBuilder) -> None:
    """The sort lives in hidden fields, which no control changes: kept, it would fail every change."""
    page = soup(client.get("/?status=active&sort=bogus&dir=asc").text)
    assert page.select("#filter-sort input") == []
    assert page.select_one("#filter-status option[selected]")["value"] == "active"  # the rest is kept
    fine = soup(client.get("/?sort=revenue&dir=asc").text)
    assert [(i["name"], i["value"]) for i in fine.select("#filter-sort input")] == [("sort", "revenue"), ("dir", "asc")]


@pytest.mark.parametrize(("query", "field", "message"), BAD_FILTERS)
def test_partials_answer_400_with_a_fragment(
    client: TestClient, data: DataBuilder, query: str, field: str, message: str
) -> None:
    for partial in ("revenue", "trend", "client-list"):
        response = client.get(f"/partials/dashboard/{partial}?{query}")
        assert response.status_code == 400
        assert message in soup(response.text).get_text()
        assert "<html" not in response.text  # a fragment safe to land in the card


def test_unknown_manager_is_refused_in_the_shell(client: TestClient, data: DataBuilder) -> None:
    response = client.get("/?manager=424242")
    assert response.status_code == 400
    assert "There is no account manager with id 424242." in soup(response.text).select_one("#error-manager").text


def test_the_typed_value_is_shown_back(client: TestClient, data: DataBuilder) -> None:
    page = soup(client.get("/?period=custom&from=2024-02-30&to=2024-03-01").text)
    assert page.select_one("#filter-from")["value"] == "2024-02-30"
    assert page.select_one("#filter-from")["aria-invalid"] == "true"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("client=abc&period=this_month", 400, "Client must be an id (a positive whole number)."),
        ("client=&period=this_month", 400, "Choose a client."),
        ("period=this_month", 400, "Choose a client."),
        ("client=0", 400, "Client must be an id"),
        ("client=1e3", 400, "Client must be an id"),
        ("client=424242&period=this_month", 404, "There is no client with id 424242."),
        ("client=1&period=nope", 400, "Unknown period “nope”"),
    ],
)
def test_client_row_bad_ids(client: TestClient, data: DataBuilder, query: str, status: int, message: str) -> None:
    response = client.get(f"/partials/dashboard/client-row?{query}")
    assert response.status_code == status
    assert message in soup(response.text).get_text()
    assert response.text.lstrip().startswith("<tr")


def test_a_missing_client_is_an_answer_not_a_logged_failure(
    client: TestClient, data: DataBuilder, caplog: pytest.LogCaptureFixture
) -> None:
    # Ops read "computing ... failed" warnings as something broken; a deleted client's row is a 404.
    with caplog.at_level(logging.WARNING, logger="billable.partials"):
        assert client.get("/partials/dashboard/client-row?client=424243&period=this_month").status_code == 404
    assert [r.getMessage() for r in caplog.records if r.name == "billable.partials"] == []


def test_unknown_partial_and_page(client: TestClient, data: DataBuilder) -> None:
    response = client.get("/partials/dashboard/<script>")
    assert response.status_code == 404
    assert "<script>" not in response.text
    assert "There is no partial named dashboard/&lt;script&gt;." in response.text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert "Page not found" in missing.text


def test_search_text_is_escaped(client: TestClient, data: DataBuilder) -> None:
    page = client.get('/?q="><script>alert(1)</script>').text
    assert "<script>alert(1)</script>" not in page
    assert soup(page).select_one("#filter-q")["value"] == '"><script>alert(1)</script>'


def test_a_nul_character_is_refused_not_a_500(client: TestClient, data: DataBuilder) -> None:
    assert client.get("/?q=a%00b").status_code == 400
    assert client.get("/partials/dashboard/revenue?q=%00").status_code == 400
    assert client.get("/export/clients.csv?q=%00").status_code == 400
    form = {"work_date": "2026-11-12", "client_id": str(data.client("Acme")), "duration": "1", "description": "\x00"}
    response = client.post("/timesheet/entries", data=form)
    assert response.status_code == 422 and "cannot contain a NUL character" in response.text
