"""Streamed pages (web/streaming.py): the shell, then every partial in the same response as it completes."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

from tests.dashboard.test_shell import make_clients
from tests.support import PASSWORD, DataBuilder, OpenApp, sign_in, soup
from web.dashboard import CARDS
from web.settings import Settings, SettingsError
from web.streaming import UNFILLED

SSE_ACCEPT = {"Accept": "text/html, text/event-stream", "HX-Request": "true"}


def fills(html: str) -> list[tuple[str, object]]:
    """(id, the element that fills it) for each part, in the order they came: those the server put
    in place in the shell first (each names itself in an empty template on a page showing its
    waterfall, ?timings=1), then each streamed one.
    (Parsed again: BeautifulSoup leaves a template's text out of get_text.)"""
    page = soup(html)
    in_place = [(t["data-in-place"], page.find(id=t["data-in-place"])) for t in page.select("template[data-in-place]")]
    streamed = [(t["data-fill"], soup(t.decode_contents()).find(True)) for t in page.select("template[data-fill]")]
    return in_place + streamed


def test_a_page_streams_each_partial_once_in_its_own_response(
    client: TestClient, data: DataBuilder, parts_after_the_shell: None
) -> None:
    make_clients(data, 30)
    response = client.get("/?per_page=25")
    assert response.status_code == 200
    page = soup(response.text)
    # The shell: every placeholder waits for the stream instead of asking for itself.
    waiting = page.select(f'[aria-busy=true][hx-trigger="{UNFILLED}"]')
    assert len(waiting) == len(CARDS) + 25 and not page.select("[hx-trigger=load]")
    # ... then one part per placeholder, each its partial loaded, under the same id.
    parts = fills(response.text)
    assert sorted(dom_id for dom_id, _ in parts) == sorted(p["id"] for p in waiting)
    for dom_id, root in parts:
        assert root["id"] == dom_id and not root.get("aria-busy")
    assert response.text.index('<script src="/static/stream.js?v=') < response.text.index("<template data-fill")
    assert response.text.rstrip().endswith("</html>")
    timings = [t["data-server-timing"] for t in page.select("template[data-fill]")]
    assert all(t.startswith("total;dur=") and 'cache;desc="' in t for t in timings)


def test_parts_done_with_the_shell_come_in_place_and_the_rest_after_it(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 30)
    client.get("/?per_page=25")  # warm
    html = client.get("/?per_page=25&timings=1").text
    page = soup(html.split("<template", 1)[0])  # the shell, as flushed
    in_place = [dom_id for dom_id, _ in fills(html)[: len(page.select("template[data-in-place]"))]]
    # Warm, every card and row is done at once: the page comes whole, no skeleton to replace.
    assert len(soup(html).select("template[data-in-place]")) == len(CARDS) + 25
    assert not page.select("[aria-busy]") and not soup(html).select("template[data-fill]")
    assert all(page.find(id=dom_id) is not None for dom_id in in_place)
    timings = [t["data-server-timing"] for t in soup(html).select("template[data-in-place]")]
    assert all(t.startswith("total;dur=") and 'cache;desc="hit"' in t for t in timings)


def test_only_a_page_showing_its_waterfall_names_the_parts_in_place(open_app: OpenApp, data: DataBuilder) -> None:
    make_clients(data, 3)
    data.user("Sam Staff", email="sam@test.example", password=PASSWORD)
    with open_app() as client:
        client.get("/")  # warm
        plain = soup(client.get("/").text)
        assert not plain.select("template") and not plain.select("[aria-busy]")  # whole, nothing more
        assert len(soup(client.get("/?timings=1").text).select("template[data-in-place]")) == len(CARDS) + 3
        client.cookies.clear()
        sign_in(client, "sam@test.example")
        client.get("/")  # warm: staff's rows are not admins' (those have costs)
        assert not soup(client.get("/?timings=1").text).select("template")  # the waterfall is for admins


def test_a_list_sorted_by_a_figure_streams_its_rows_after_it(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 5)
    order = [dom_id for dom_id, _ in fills(client.get("/?sort=revenue&timings=1").text)]
    assert "client-list" in order
    rows = [dom_id for dom_id in order if dom_id.startswith("client-row-")]
    assert len(rows) == 5 and order.index("client-list") < order.index(rows[0])


def test_a_failing_partial_streams_its_error_state_and_the_rest_loads(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 2)
    data.val("ALTER TABLE services RENAME TO services_away")
    try:
        parts = dict(fills(client.get("/?timings=1").text))
    finally:
        data.val("ALTER TABLE services_away RENAME TO services")
    assert "card--error" in parts["card-mrr"]["class"]
    assert "This could not be loaded." in parts["card-mrr"].get_text()
    assert parts["card-mrr"].select_one("button")["hx-get"] == "/partials/dashboard/mrr?period=this_month"
    assert parts["card-clients"].select_one(".figure").get_text() == "2"


def test_a_partial_over_its_budget_delays_none_of_the_others(
    open_app: OpenApp,
    data: DataBuilder,
    locked_services: threading.Event,
) -> None:
    make_clients(data, 2)
    # A budget the other partials keep even when test workers share the cores (at 300 ms the clients
    # card once ran out too), and the MRR card, behind the lock, can never keep.
    with open_app(partial_budget_ms=1000) as client:
        order = fills(client.get("/?timings=1").text)  # the parts in place named too
        locked_services.set()  # the work given up on finishes before the app stops
    ids = [dom_id for dom_id, _ in order]
    mrr = dict(order)["card-mrr"]
    assert "This is taking too long." in mrr.get_text()
    # Everything that needed no locked table came before the card that waited for it.
    assert ids.index("card-clients") < ids.index("card-mrr")


def test_htmx_gets_the_page_then_each_part_as_server_sent_events(
    client: TestClient, data: DataBuilder, parts_after_the_shell: None
) -> None:
    make_clients(data, 3)
    response = client.get("/?status=active", headers=SSE_ACCEPT)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [e for e in response.text.split("\n\n") if e.strip()]
    html = ["\n".join(line.removeprefix("data: ") for line in event.split("\n")) for event in events]
    assert soup(html[0]).select_one("#dashboard") is not None
    targets = [p["hx-target"] for e in html[1:] for p in soup(e).select("hx-partial")]
    assert sorted(targets) == sorted(f"#{p['id']}" for p in soup(html[0]).select("[aria-busy=true]"))
    assert len(targets) == len(CARDS) + 3


def test_each_streamed_part_is_reported_as_its_partial(client: TestClient, data: DataBuilder) -> None:
    make_clients(data, 2)
    client.get("/")
    metrics = client.get("/metrics").text
    for card in CARDS:
        assert f'billable_request_duration_seconds_count{{cache="miss",partial="{card.name}"}} 1.0' in metrics
    assert 'partial="dashboard/client-row"' in metrics


def test_a_partial_asked_for_again_comes_with_its_rows_in_place(open_app: OpenApp, data: DataBuilder) -> None:
    # A stale list refreshing itself (or a Retry) must not turn its rows back into skeletons.
    make_clients(data, 4)
    with open_app() as client:
        list_url = soup(client.get("/?sort=revenue").text).select_one("#client-list")["hx-get"]
        refreshed = soup(client.get(list_url, headers={"HX-Request": "true"}).text)
    rows = refreshed.select("tr[id^=client-row-]")
    assert len(rows) == 4 and not refreshed.select("[aria-busy]")
    assert all(row.select_one("td.num") is not None for row in rows)  # loaded: figures, not skeletons
    with open_app(partials_mode="requests") as client:
        assert len(soup(client.get(list_url).text).select("tr[aria-busy=true][hx-trigger=load]")) == 4


def test_a_part_at_hand_is_served_at_once_until_a_write_moves_its_versions(
    open_app: OpenApp, data: DataBuilder
) -> None:
    make_clients(data, 2)
    with open_app() as client:
        state = client.app.state.billable
        registry, today = state.registry, state.today()
        mrr = registry["dashboard/mrr"]
        assert registry.serve_now(mrr, b"period=this_month", today, "admin") is None  # nothing held yet
        loaded = client.get("/partials/dashboard/mrr?period=this_month")
        at_hand = registry.serve_now(mrr, b"period=this_month", today, "admin")
        assert at_hand is not None and at_hand.cache == "hit" and at_hand.html == loaded.text
        asked = registry._asked[("dashboard/mrr", b"period=this_month", today)]
        state.registry.versions.apply({scope: 10**9 for scope in asked.scopes})  # a write, as NOTIFY brings it
        assert registry.serve_now(mrr, b"period=this_month", today, "admin") is None
        page = client.get("/?timings=1")
    part = soup(page.text).select_one('template[data-in-place="card-mrr"], template[data-fill="card-mrr"]')
    assert 'cache;desc="miss"' in part["data-server-timing"]  # computed again, not the one held


def test_the_per_request_mode_sends_the_shell_alone(open_app: OpenApp, data: DataBuilder) -> None:
    make_clients(data, 3)
    with open_app(partials_mode="requests") as client:
        html = client.get("/").text
    assert "<template data-fill" not in html and "stream.js" not in html
    assert len(soup(html).select("[aria-busy=true][hx-trigger=load]")) == len(CARDS) + 3


def test_the_mode_is_a_setting_with_two_values() -> None:
    assert Settings.from_env({}).partials_mode == "stream"
    assert Settings.from_env({"BILLABLE_PARTIALS": "requests"}).partials_mode == "requests"
    with pytest.raises(SettingsError, match="BILLABLE_PARTIALS: use stream or requests"):
        Settings.from_env({"BILLABLE_PARTIALS": "both"})
