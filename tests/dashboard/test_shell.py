"""The dashboard shell: rendered at once, with one placeholder per stats card and per visible row.

These tests read the shell as the per-request mode sends it (BILLABLE_PARTIALS=requests); the
streamed mode sends the same shell, then the parts (tests/dashboard/test_streaming.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from starlette.testclient import TestClient

from bench.http import session_csrf_token
from tests.support import PASSWORD, DataBuilder, OpenApp, server_timing, session_of, sign_in, soup
from web.dashboard import CARDS


@pytest.fixture
def client(open_app: OpenApp) -> Iterator[TestClient]:
    with open_app(partials_mode="requests") as test_client:
        yield test_client


def make_clients(data: DataBuilder, count: int) -> list[int]:
    manager = data.user("Mia Manager")
    return [data.client(f"Client {n:03d}", manager_id=manager) for n in range(count)]


def test_shell_has_a_placeholder_per_card_and_visible_row(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 30)
    response = client.get("/?per_page=25")
    assert response.status_code == 200
    page = soup(response.text)
    placeholders = page.select("[hx-trigger=load][aria-busy=true]")
    card_urls = [p["hx-get"] for p in placeholders if p.name == "article"]
    assert card_urls == [f"/partials/{card.name}?period=this_month&per_page=25" for card in CARDS]
    rows = page.select("tr[hx-trigger=load]")
    assert [r.th.get_text(strip=True) for r in rows] == [f"Client {n:03d}" for n in range(25)]
    assert rows[0]["hx-get"].startswith("/partials/dashboard/client-row?client=")
    assert page.select_one(".pager").get_text(" ", strip=True).startswith("1–25 of 30")


def test_shell_runs_no_aggregate_query(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 3)
    response = client.get("/")
    timing = server_timing(response.headers["server-timing"])
    # Four light queries: the signed-in user, the account managers for the filter, the page of
    # names (from the name index) and how many clients there are.
    assert timing["db"]["desc"] == "4 queries"
    # Then none: the user is re-read at most every 30 s, the managers and the page of names only
    # after a write.
    assert server_timing(client.get("/").headers["server-timing"])["db"]["desc"] == "0 queries"
    assert "X-Response-Time" in response.headers


def test_shell_render_time_is_counted_once(client: TestClient, data: DataBuilder) -> None:
    """The client list renders its rows' placeholders inside its own render: one time, not two."""
    make_clients(data, 50)
    timing = server_timing(client.get("/").headers["server-timing"])
    assert 0 < float(timing["render"]["dur"]) <= float(timing["total"]["dur"])


def test_shell_sorted_by_a_figure_defers_the_list(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 3)
    page = soup(client.get("/?sort=revenue").text)
    deferred = page.select_one("#client-list[hx-trigger=load]")
    assert deferred is not None
    # An admin's list has each client's cost and margin.
    assert deferred["hx-get"] == "/partials/dashboard/client-list?period=this_month&sort=revenue&dir=desc&costs=1"
    assert len(page.select("article[hx-trigger=load]")) == len(CARDS)


def test_filter_bar_keeps_the_chosen_filters(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 1)
    manager = data.val("SELECT id FROM users WHERE name = 'Mia Manager'")
    page = soup(client.get(f"/?period=custom&from=2024-01-01&to=2024-03-31&status=active&manager={manager}&q=Cl").text)
    assert page.select_one("#filter-period option[selected]")["value"] == "custom"
    assert page.select_one("#filter-from")["value"] == "2024-01-01"
    assert not page.select_one(".custom-range").has_attr("hidden")
    assert page.select_one("#filter-status option[selected]")["value"] == "active"
    assert page.select_one("#filter-manager option[selected]").get_text() == "Mia Manager"
    assert page.select_one("#filter-q")["value"] == "Cl"
    # Every partial is asked with the same filters.
    assert "from=2024-01-01&to=2024-03-31&status=active" in page.select_one("#card-revenue")["hx-get"]


def test_empty_database_shows_an_empty_list(client: TestClient, data: DataBuilder, today: date) -> None:
    page = soup(client.get("/").text)
    assert "No clients match these filters" in page.select_one("#client-list").get_text()
    assert len(page.select("article[hx-trigger=load]")) == len(CARDS)


def test_page_past_the_end_offers_the_last_page(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 30)
    page = soup(client.get("/?per_page=25&page=9").text)
    message = page.select_one("#client-list .empty")
    assert "Page 9 is past the end of the list (2 pages)" in message.get_text(" ", strip=True)
    assert message.a["href"] == "/?period=this_month&page=2&per_page=25"


def test_sort_links_flip_the_active_column(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 2)
    page = soup(client.get("/").text)
    headers = {a.get_text(strip=True): a["href"] for a in page.select("#client-list thead a")}
    assert headers["Client"] == "/?period=this_month&sort=name&dir=desc"
    assert headers["Revenue"] == "/?period=this_month&sort=revenue&dir=desc"
    assert page.select_one("th[aria-sort]")["aria-sort"] == "ascending"


def test_each_session_gets_its_own_page(client: TestClient, data: DataBuilder) -> None:
    """The page around the shell is kept per session: nobody sees another's name or CSRF token."""
    make_clients(data, 3)
    data.user("Sam Admin", role="admin", email="sam@test.example", password=PASSWORD)  # the same view
    admin = (dict(client.cookies), session_of(client)["csrf"])
    sign_in(client, "sam@test.example")
    sam = (dict(client.cookies), session_of(client)["csrf"])

    def page_as(cookies: dict[str, str]) -> tuple[str, str]:
        client.cookies.clear()
        client.cookies.update(cookies)
        html = client.get("/").text
        return session_csrf_token(html), soup(html).select_one("header").get_text(" ")

    for _ in range(2):  # the second time from memory
        admin_token, admin_header = page_as(admin[0])
        assert admin_token == admin[1] and "Ada Admin" in admin_header
        sam_token, sam_header = page_as(sam[0])
        assert sam_token == sam[1] != admin_token
        assert "Sam Admin" in sam_header and "Ada Admin" not in sam_header
