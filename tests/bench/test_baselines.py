"""The benchmark's baselines compute the dashboard's figures, the same as the reference, on either
database they are given."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from bench.app import create_app
from tests.reference import reference_client_statuses, reference_mrr, reference_revenue
from tests.support import DataBuilder, sign_in, soup
from web.db import Database
from web.db.seed import SIZES, seed
from web.periods import Month, named_period, trailing_months
from web.settings import Settings

OpenBench = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def open_bench(settings: Settings, today: date, admin: str) -> OpenBench:
    """open_bench(plain_url): the app as `billable bench` runs it, the admin signed in."""

    @contextmanager
    def open_signed_in(plain_url: str = "") -> Iterator[TestClient]:
        with TestClient(create_app(settings, plain_url=plain_url, today=lambda: today)) as client:
            sign_in(client, admin)
            yield client

    return open_signed_in


@pytest.mark.parametrize(
    "path",
    [
        "/bench/naive",
        "/bench/gather",
        "/bench/naive?indexes=plain",
        "/bench/gather?indexes=plain",
        "/bench/naive?indexes=plain&trend=one_scan",
        "/bench/gather?trend=one_scan",
    ],
)
def test_a_baseline_page_has_the_reference_figures(
    path: str,
    data: DataBuilder,
    test_db: Database,
    portal: BlockingPortal,
    today: date,
    open_bench: OpenBench,
) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=today, rng_seed=5))
    services = data.rows("SELECT * FROM services")
    entries = data.rows("SELECT client_id, work_date, minutes, billable, rate_cents FROM timesheet_entries")
    names = {row["name"]: row["id"] for row in data.rows("SELECT id, name FROM clients")}
    period = named_period("this_month", today)
    revenue = reference_revenue(services, entries, period.start, period.end)
    mrr = reference_mrr(services, today)
    window = trailing_months(Month.of(today), 12)
    by_month = [reference_revenue(services, entries, m.first_day, m.last_day) for m in window]

    # The test's database stands in for the copy: the figures are the same on either.
    with open_bench(test_db.url) as client:
        response = client.get(path)
    assert response.status_code == 200
    page = soup(response.text)
    statuses = reference_client_statuses(data.rows("SELECT * FROM client_statuses"), period.start, period.end)
    active = statuses["active"]
    in_period = [e for e in entries if period.start <= e["work_date"] <= period.end]
    previous = period.compared_with(today)
    assert ast.literal_eval(page.pre.text) == {
        "revenue": sum(revenue.values()),
        "previous": sum(reference_revenue(services, entries, previous.start, previous.end).values()),
        "mrr": sum(mrr.values()),
        "paying": len(mrr),
        "active": len(active),
        "new": len(statuses["new"]),
        "billable_minutes": sum(e["minutes"] for e in in_period if e["billable"]),
        "minutes": sum(e["minutes"] for e in in_period),
        "average": int((Decimal(sum(revenue.get(c, 0) for c in active)) / len(active)).quantize(0, ROUND_HALF_UP)),
        "trend": [sum(month.values()) for month in by_month],
    }
    rows = page.select("tr")
    assert len(rows) == min(50, len(names))
    for row in rows:
        client_id = names[row.th.text]
        row_revenue, row_mrr, billable_minutes, minutes, sparkline = (td.text for td in row.select("td"))
        assert int(row_revenue) == revenue.get(client_id, 0), row.th.text
        assert int(row_mrr) == mrr.get(client_id, 0), row.th.text
        own = [e for e in in_period if e["client_id"] == client_id]
        assert int(billable_minutes) == sum(e["minutes"] for e in own if e["billable"]), row.th.text
        assert int(minutes) == sum(e["minutes"] for e in own), row.th.text
        assert [int(cents) for cents in sparkline.split(",")] == [month.get(client_id, 0) for month in by_month]


def test_an_unknown_database_or_trend_is_refused(open_bench: OpenBench) -> None:
    with open_bench() as client:
        unknown = client.get("/bench/naive?indexes=other")
        unknown_trend = client.get("/bench/gather?indexes=plain&trend=monthly")  # said before the missing copy
        no_copy = client.get("/bench/gather?indexes=plain")  # without a copy configured
        same = client.get("/bench/gather?indexes=same")
    assert unknown.status_code == 400 and "indexes: one of same, plain" in unknown.text
    assert unknown_trend.status_code == 400 and "trend: one of per_month, one_scan" in unknown_trend.text
    assert no_copy.status_code == 503 and "BILLABLE_BENCH_PLAIN_URL" in no_copy.text
    assert same.status_code == 200
