"""Each dashboard partial: its figures, its cache, its timing headers."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.support import DataBuilder, OpenApp, server_timing, soup
from web.dashboard import CARDS


@pytest.fixture
def agency(data: DataBuilder) -> dict[str, int]:
    """Two clients with known figures for November 2026 (today is 15 November 2026)."""
    boss = data.user("Bea Boss", rate_cents=10_000)
    sam = data.user("Sam Staff", rate_cents=8_000)
    acme = data.client("Acme", manager_id=boss, created=date(2026, 11, 2))
    bolt = data.client("Bolt", status="churned", manager_id=sam, rate_cents=12_000)
    data.recurring(acme, 200_000, start=date(2025, 1, 1))  # €2,000 a month
    data.one_off(acme, 50_000, on=date(2026, 11, 20))  # €500 later this month
    data.entry(acme, sam, date(2026, 11, 3), 90, 8_000)  # €120
    data.entry(acme, sam, date(2026, 11, 4), 30, 8_000, billable=False)
    data.entry(bolt, boss, date(2026, 11, 5), 60, 12_000)  # €120
    data.entry(bolt, boss, date(2026, 10, 5), 60, 12_000)  # October: €120
    data.recurring(bolt, 100_000, start=date(2025, 1, 1), end=date(2026, 10, 31))
    return {"acme": acme, "bolt": bolt, "boss": boss}


def card(client: TestClient, name: str, query: str = "period=this_month"):  # type: ignore[no-untyped-def]
    response = client.get(f"/partials/dashboard/{name}?{query}")
    assert response.status_code == 200, response.text
    return response, soup(response.text)


def test_revenue_card(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "revenue", "period=last_month")
    # October: 2,000 + 1,000 + 120; September: 2,000 + 1,000.
    assert html.select_one(".figure").get_text() == "€3,120"
    assert "+4.0% vs €3,000 the period before" in " ".join(html.select_one(".card__note").get_text().split())
    assert "Retainers count in full" not in html.get_text()  # whole months


def test_a_period_in_progress_is_compared_like_for_like(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "revenue")  # November, on the 15th
    # All of November: 2,000 + 500 (booked for the 20th) + 120 + 120. So far: 2,240. October 1-15:
    # 2,000 + 1,000 (retainers count their whole month) + 120, which is all of October too.
    assert html.select_one(".figure").get_text() == "€2,740"
    notes = [" ".join(p.get_text().split()) for p in html.select(".card__note")]
    assert notes[0] == "−28.2% 1–15 Nov 2026 (€2,240) against €3,120 on 1–15 Oct 2026"
    assert notes[1] == "The whole period before: €3,120"


def test_revenue_over_part_of_a_month_says_that_retainers_count_whole_months(
    client: TestClient, agency: dict[str, int]
) -> None:
    _, html = card(client, "revenue", "period=custom&from=2026-11-01&to=2026-11-07")
    assert "Retainers count in full for every month the period touches." in html.get_text()


def test_mrr_card(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "mrr")
    assert html.select_one(".figure").get_text() == "€2,000"
    assert "from 1 client on a retainer" in html.get_text()


def test_clients_card(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "clients")
    assert html.select_one(".figure").get_text() == "1"
    assert "1 new" in html.select_one(".card__note").get_text()


def test_hours_card(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "hours")
    assert html.select_one(".figure").get_text() == "2:30 h"
    assert "83.3% of 3:00 h logged" in html.select_one(".card__note").get_text()


def test_utilization_card(client: TestClient, agency: dict[str, int], data: DataBuilder) -> None:
    sam = data.val("SELECT id FROM users WHERE name = 'Sam Staff'")
    data.capacity(agency["boss"], date(2026, 1, 1), 40)
    data.capacity(sam, date(2026, 1, 1), 40)
    data.capacity(sam, date(2026, 11, 9), 20)  # half time from Monday 9 November
    _, html = card(client, "utilization")
    # 1-15 November so far: 10 weekdays; Bea 10 x 8 h, Sam 5 x 8 h + 5 x 4 h: 140 h of capacity,
    # 2:30 h billable (Acme's 1:30, Bolt's 1:00): 1.79 %.
    assert html.select_one(".figure").get_text() == "1.8%"
    note = " ".join(html.select_one(".card__note").get_text().split())
    assert note == "2:30 h billable of 140:00 h capacity · 1–15 Nov 2026 so far"
    assert html.select_one("meter")["value"] == "1.8"
    # October, whole: 22 weekdays at 8 h for both, 1:00 h billable.
    _, html = card(client, "utilization", "period=last_month")
    assert html.select_one(".figure").get_text() == "0.3%"
    assert " ".join(html.select_one(".card__note").get_text().split()) == "1:00 h billable of 352:00 h capacity"
    # The card is the team's: a filter on clients changes nothing but says so.
    _, html = card(client, "utilization", f"period=this_month&manager={agency['boss']}")
    assert html.select_one(".figure").get_text() == "1.8%"
    assert "whole team, all clients" in html.select_one(".card__note").get_text()
    _, html = card(client, "utilization", "period=custom&from=2025-01-01&to=2025-01-31")
    assert "No capacity set for this period" in html.get_text()


def test_mrr_movements_card(client: TestClient, agency: dict[str, int], data: DataBuilder) -> None:
    _, html = card(client, "mrr-movements")
    # November: Bolt's €1,000 retainer ended in October (churn); Acme's €2,000 carries on.
    assert html.select_one(".figure").get_text() == "−€1,000"
    note = " ".join(html.select_one(".card__note").get_text().split())
    assert note == "net new MRR · This month so far: €3,000 → €2,000"
    kinds = {
        dt.get_text(strip=True): dd.get_text() for dt, dd in zip(html.select("dt"), html.select("dd"), strict=True)
    }
    assert kinds == {"New": "€0", "Expansion": "€0", "Reactivation": "€0", "Contraction": "€0", "Churn": "−€1,000"}
    rows = [[c.get_text() for c in tr.select("th, td")] for tr in html.select(".chart__table tbody tr")]
    assert len(rows) == 12 and rows[-1] == [
        "Nov 2026",
        "€3,000",
        "€0",
        "€0",
        "€0",
        "€0",
        "−€1,000",
        "−€1,000",
        "€2,000",
    ]
    assert rows[0][0] == "Dec 2025" and rows[0][1] == rows[0][-1] == "€3,000"
    assert [r.title.get_text() for r in html.select("rect.chart__seg")] == ["Nov 2026 (so far) churn: −€1,000"]
    _, html = card(client, "mrr-movements", "period=custom&from=2024-06-01&to=2025-03-31")
    assert html.select_one(".figure").get_text() == "+€3,000"  # both retainers new in January 2025
    assert [r.title.get_text() for r in html.select("rect.chart__seg")] == ["Jan 2025 new: +€3,000"]  # gone by
    acme_retainer = data.val("SELECT id FROM services WHERE client_id = :c AND kind = 'recurring'", c=agency["acme"])
    data.price_change(acme_retainer, date(2026, 6, 1), 250_000)  # read under a new key below: not cached yet
    _, html = card(client, "mrr-movements", "period=custom&from=2025-12-01&to=2026-11-30")  # November runs on
    titles = [r.title.get_text() for r in html.select("rect.chart__seg")]
    assert titles == ["Jun 2026 expansion: +€500", "Nov 2026 (so far) churn: −€1,000"]  # only November is so far
    _, html = card(client, "mrr-movements", f"period=this_month&manager={agency['boss']}")  # Acme alone
    assert html.select_one(".figure").get_text() == "€0"


def test_average_revenue_card(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "average-revenue")
    # Only Acme is active: its revenue €2,620 over one active client.
    assert html.select_one(".figure").get_text() == "€2,620"


def test_trend_card(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "trend")
    rows = [[td.get_text() for td in tr.select("th, td")] for tr in html.select(".chart__table tbody tr")]
    assert len(rows) == 12
    assert rows[-1] == ["Nov 2026", "€2,000", "€500", "€240", "€2,740"]
    assert rows[-2] == ["Oct 2026", "€3,000", "€0", "€120", "€3,120"]
    assert len(html.select("rect.chart__bar")) == 12
    assert html.select_one("svg desc").get_text().startswith("Revenue by month, Dec 2025 to Nov 2026 (so far)")
    # A value axis, and November (today is the 15th) drawn as the part of a month it is.
    assert [t.get_text() for t in html.select("text.chart__label")][:3] == ["€0", "€2k", "€4k"]  # October: €3,120
    partial = html.select("rect.chart__bar--partial")
    assert len(partial) == 1 and partial[0].title.get_text() == "Nov 2026 (so far): €2,740"


def test_cards_follow_the_filters(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "revenue", f"period=this_month&manager={agency['boss']}")
    assert html.select_one(".figure").get_text() == "€2,620"
    _, html = card(client, "revenue", "period=custom&from=2026-10-01&to=2026-10-31&q=bol")
    assert html.select_one(".figure").get_text() == "€1,120"


def test_client_row(client: TestClient, agency: dict[str, int]) -> None:
    response, html = card(client, "client-row", f"client={agency['acme']}&period=this_month")
    cells = [c.get_text(" ", strip=True) for c in html.select("tr > *")]
    assert cells[0] == "Acme active · Bea Boss"
    assert cells[1:5] == ["€2,620", "€2,000", "1:30 h of 2:00 h", "€1,310 / h"]  # per hour of all 2 h logged
    # The client's page opens on the same period, even a custom one of this month's dates.
    _, custom = card(client, "client-row", f"client={agency['acme']}&period=custom&from=2026-11-01&to=2026-11-30")
    assert custom.select_one("a.client-name")["href"] == (
        f"/clients/{agency['acme']}?period=custom&from=2026-11-01&to=2026-11-30"
    )
    assert html.select_one("svg polyline")["points"]
    assert html.tr["id"] == f"client-row-{agency['acme']}"


def test_a_row_and_its_sparkline_show_the_same_figure(client: TestClient, data: DataBuilder) -> None:
    sam = data.user("Sam Staff")
    acme = data.client("Acme")
    data.entry(acme, sam, date(2026, 11, 3), 60, 453_950)  # €4,539.50 this month
    _, html = card(client, "client-row", f"client={acme}&period=this_month")
    assert html.select("td.num")[0].get_text() == "€4,540"
    assert html.select_one("svg")["aria-label"].endswith("Nov 2026: €4,540")  # not cut to 4,539


def test_client_list_sorted_by_revenue(client: TestClient, agency: dict[str, int]) -> None:
    _, html = card(client, "client-list", "period=this_month&sort=revenue&dir=desc")
    assert [a.get_text() for a in html.select("tbody th a.client-name")] == ["Acme", "Bolt"]
    _, html = card(client, "client-list", "period=this_month&sort=revenue&dir=asc")
    assert [a.get_text() for a in html.select("tbody th a.client-name")] == ["Bolt", "Acme"]
    # In October only Bolt logged hours.
    _, html = card(client, "client-list", "period=custom&from=2026-10-01&to=2026-10-31&sort=hours&dir=desc")
    assert [a.get_text() for a in html.select("tbody th a.client-name")] == ["Bolt", "Acme"]


def test_client_list_sorted_by_revenue_per_hour_puts_clients_without_time_last(
    client: TestClient, agency: dict[str, int], data: DataBuilder
) -> None:
    quiet = data.client("Quiet")
    data.recurring(quiet, 50_000, start=date(2025, 1, 1))  # revenue, but no time logged: no rate
    # Acme: €2,620 over 2 h (€1,310 an hour); Bolt: €120 over 1 h.
    for direction, order in (("desc", ["Acme", "Bolt", "Quiet"]), ("asc", ["Bolt", "Acme", "Quiet"])):
        _, html = card(client, "client-list", f"period=this_month&sort=rate&dir={direction}")
        assert [a.get_text() for a in html.select("tbody th a.client-name")] == order
    _, html = card(client, "client-row", f"client={quiet}&period=this_month")
    assert html.select("td.num")[3].get_text() == "–"


def test_second_request_is_a_cache_hit(client: TestClient, agency: dict[str, int]) -> None:
    for partial in [*(c.name for c in CARDS), "dashboard/client-row", "dashboard/client-list"]:
        url = f"/partials/{partial}?client={agency['acme']}&period=this_month"
        first, second = client.get(url), client.get(url)
        first_timing = server_timing(first.headers["server-timing"])
        second_timing = server_timing(second.headers["server-timing"])
        assert first_timing["cache"]["desc"] == "miss", partial
        assert int(first_timing["db"]["desc"].split()[0]) >= 1
        assert second_timing["cache"]["desc"] == "hit", partial
        assert second_timing["db"]["desc"] == "0 queries"
        assert float(second_timing["total"]["dur"]) >= 0
        assert first.text == second.text
        assert first.headers["x-response-time"].endswith("ms")


def test_a_different_filter_is_a_different_key(client: TestClient, agency: dict[str, int]) -> None:
    urls = [
        "/partials/dashboard/revenue?period=this_month",
        "/partials/dashboard/revenue?period=last_month",
        "/partials/dashboard/revenue?period=this_month&status=active",
        "/partials/dashboard/revenue?period=this_month&q=acme",
    ]
    outcomes = [server_timing(client.get(u).headers["server-timing"])["cache"]["desc"] for u in urls]
    assert outcomes == ["miss"] * 4
    # The row's figures do not depend on list filters: another status still hits.
    row = f"/partials/dashboard/client-row?client={agency['acme']}&period=this_month"
    client.get(row)
    hit = client.get(row + "&status=active&q=zzz&page=2")
    assert server_timing(hit.headers["server-timing"])["cache"]["desc"] == "hit"


def test_every_request_logs_one_json_line(open_app: OpenApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="billable.requests")
    with open_app() as client:
        client.get("/partials/dashboard/mrr?period=this_month&status=active")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "billable.requests"]
    line = next(line for line in lines if line["partial"] == "dashboard/mrr")
    assert line["query"] == "period=this_month&status=active"
    assert line["status"] == 200 and line["cache"] == "miss" and line["queries"] == 2
    assert {"total_ms", "db_ms", "render_ms"} <= set(line)
    assert line["slow"] is False and "slowest_query" not in line
    assert [r.levelname for r in caplog.records if r.name == "billable.requests"][-1] == "INFO"


def test_slow_requests_are_logged_as_warnings_with_their_slowest_query(
    open_app: OpenApp, caplog: pytest.LogCaptureFixture
) -> None:
    with open_app(slow_request_ms=0) as slow_client:
        slow_client.get("/timesheet")  # the session is checked (an UPDATE marks it used) before the partial
        slow_client.get("/partials/dashboard/mrr?period=this_month")
    records = [r for r in caplog.records if r.name == "billable.requests"]
    record = next(r for r in records if json.loads(r.getMessage())["partial"] == "dashboard/mrr")
    line = json.loads(record.getMessage())
    assert record.levelname == "WARNING" and line["slow"] is True
    assert line["slowest_query"].startswith("SELECT") and line["slowest_query_ms"] > 0


def test_the_dashboard_has_one_heading_of_its_own(client: TestClient) -> None:
    page = soup(client.get("/").text)
    assert [h.get_text() for h in page.select("h1")] == ["Dashboard"]
