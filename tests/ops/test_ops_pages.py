"""The ops pages after real traffic: /ops, /metrics, /healthz, /readyz."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, OpenApp, sign_in, soup
from web.dashboard import CARDS


def load_dashboard(client: TestClient) -> list[str]:
    """What a browser does: the page, whose response carries every partial it names, in place in
    the shell or streamed after it (each reported as a request of its own, and named by a
    template: those in place only on a page showing its waterfall). Returns the partial names."""
    page = soup(client.get("/?timings=1").text)
    parts = page.select("template[data-fill], template[data-in-place]")
    return [str(t["data-label"]).split(" #")[0] for t in parts]


@pytest.fixture
def busy(client: TestClient, data: DataBuilder) -> dict[str, int]:
    for n in range(3):
        data.client(f"Client {n}")
    counts: dict[str, int] = {}
    for _ in range(2):
        for name in load_dashboard(client):
            counts[name] = counts.get(name, 0) + 1
    return counts


def test_ops_lists_every_partial_with_counts_and_percentiles(client: TestClient, busy: dict[str, int]) -> None:
    page = soup(client.get("/ops").text)
    rows = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in page.select("#ops-live table")[0].select("tbody tr")
    }
    for card in CARDS:
        cells = rows[card.name]
        assert int(cells[0]) == busy[card.name] == 2
        assert all(re.fullmatch(r"\d+\.\d+", v) for v in cells[1:5]), cells  # p50, p95, p99, max
        assert cells[5] == "50%"  # one miss, then one hit
    assert int(rows["dashboard/client-row"][0]) == busy["dashboard/client-row"] == 6
    assert "page /" in rows
    # Names wrap after a "/", never inside a word ("dashboard/reven|ue" did at 1280 px).
    names = [th.code.decode_contents() for th in page.select("#ops-live table")[0].select("tbody th")]
    assert "dashboard/<wbr/>mrr" in names and "dashboard/<wbr/>client-row" in names
    # Reading a page and writing to it are told apart: signing in (Argon2) would swamp the page's times.
    assert client.post("/clients", data={"name": ""}).status_code == 422
    again = soup(client.get("/ops").text).select("#ops-live table")[0].select("tbody tr")
    assert "POST /clients" in {tr.th.get_text(strip=True) for tr in again}
    assert page.select_one("#ops-live")["hx-trigger"] == "every 3s"
    assert "Database pool" in page.text and "OK" in page.select(".ops__grid .figure")[1].text


def test_ops_live_and_its_window(client: TestClient, busy: dict[str, int]) -> None:
    live = client.get("/ops/live?window=60")
    assert live.status_code == 200
    assert soup(live.text).select_one("#ops-live")["hx-get"] == "/ops/live?window=60"
    assert "<html" not in live.text
    assert client.get("/ops/live?window=7").status_code == 400
    bad = client.get("/ops?window=9999")  # a page, as every refusal, saying what would do
    assert bad.status_code == 400 and "The window must be 5 or 60 minutes." in soup(bad.text).get_text()
    slowest = soup(client.get("/ops").text).select("#ops-live table")[1].select("tbody tr")
    assert 1 <= len(slowest) <= 10


def test_metrics_histogram_counts_match_the_requests(client: TestClient, busy: dict[str, int]) -> None:
    text = client.get("/metrics").text
    for name, count in busy.items():
        series = re.findall(rf'billable_request_duration_seconds_count{{cache="(\w+)",partial="{name}"}} (\S+)', text)
        assert sum(float(value) for _, value in series) == count, (name, series)
        caches = {cache for cache, _ in series}
        if name == "dashboard/client-row":  # computed with the list: a hit, or a miss that joined it
            assert "hit" in caches and caches <= {"hit", "miss"}, series
        else:
            assert caches == {"hit", "miss"}, (name, series)
    assert re.search(r'billable_partial_cache_total{outcome="hit"} \d', text)
    assert "billable_db_pool_size" in text and "billable_db_pool_waiting" in text
    assert "_created" not in text  # no creation-time twin of every series


def test_ops_is_for_admins_only(open_app: OpenApp, data: DataBuilder, anonymous: TestClient) -> None:
    data.user("Sam Staff", email="sam@test.example", password=PASSWORD)
    sign_in(anonymous, "sam@test.example")
    for url in ("/ops", "/ops/live", "/gallery", "/?timings=1"):
        response = anonymous.get(url)
        assert response.status_code == (200 if url.startswith("/?") else 403), url
    assert soup(anonymous.get("/?timings=1").text).select_one("#waterfall") is None


def test_health_and_readiness_need_no_login(anonymous: TestClient) -> None:
    assert anonymous.get("/healthz").text == "ok"
    ready = anonymous.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")


def test_not_ready_when_the_cache_is_down(open_app: OpenApp) -> None:
    with open_app(cache_url="redis://127.0.0.1:1/0") as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.text == "not ready: cache unreachable"


def test_ops_figures_combine_across_processes(open_app: OpenApp, data: DataBuilder, redis_url: str) -> None:
    data.client("Acme")
    with open_app(cache_url=redis_url) as first, open_app(cache_url=redis_url) as second:
        first.get("/partials/dashboard/mrr?period=this_month")
        second.get("/partials/dashboard/mrr?period=this_month")
        second.get("/partials/dashboard/mrr?period=this_month")
        # Each process publishes every 5 s; the page reading them publishes its own at once.
        second.portal.call(second.app.state.billable.shared_ops.publish)
        page = soup(first.get("/ops").text)
        assert "2 processes (shared through Redis)" in page.select_one(".ops__bar").text
        row = next(tr for tr in page.select("#ops-live tbody tr") if tr.th.text.strip() == "dashboard/mrr")
        assert row.select("td")[0].text == "3"
