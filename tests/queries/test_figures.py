"""Revenue and MRR against hand-computed examples (see the definitions in README and figures.py)."""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.support import DataBuilder
from web.db import Database
from web.periods import Month, Period
from web.queries import figures, statuses
from web.queries.scope import ClientScope


def period(start: date, end: date) -> Period:
    return Period("custom", start, end)


@pytest.fixture
def revenue(test_db: Database, portal: BlockingPortal):  # type: ignore[no-untyped-def]
    """revenue(client_id, start, end) -> cents, through the real query."""

    def compute(client_id: int, start: date, end: date, today: date = date(2024, 6, 1)) -> int:
        figs = portal.call(figures.client_figures, test_db, client_id, period(start, end), today)
        return figs.revenue_cents

    return compute


def test_recurring_counts_each_month_touched(data: DataBuilder, revenue) -> None:  # type: ignore[no-untyped-def]
    acme = data.client()
    data.recurring(acme, 100_000, start=date(2024, 1, 15))  # €1,000 a month from 15 January
    assert revenue(acme, date(2024, 2, 1), date(2024, 2, 29)) == 100_000
    # Starting mid-January, it was active on days of January: all three months count.
    assert revenue(acme, date(2024, 1, 1), date(2024, 3, 31)) == 300_000
    # A period ending before the service starts earns nothing from it.
    assert revenue(acme, date(2024, 1, 1), date(2024, 1, 14)) == 0
    # Two days across a month boundary touch two months.
    assert revenue(acme, date(2024, 1, 31), date(2024, 2, 1)) == 200_000


def test_recurring_start_and_end_inside_a_month(data: DataBuilder, revenue) -> None:  # type: ignore[no-untyped-def]
    acme = data.client()
    data.recurring(acme, 50_000, start=date(2024, 2, 20), end=date(2024, 3, 1))
    # Starting on the 20th and ending on 1 March, it touched February and March.
    assert revenue(acme, date(2024, 1, 1), date(2024, 12, 31)) == 100_000
    # Within February, a range before the 20th does not include it...
    assert revenue(acme, date(2024, 2, 1), date(2024, 2, 10)) == 0
    # ...a range including the 20th does.
    assert revenue(acme, date(2024, 2, 15), date(2024, 2, 20)) == 50_000
    # A service that ended before the period earns nothing in it.
    assert revenue(acme, date(2024, 3, 2), date(2024, 3, 31)) == 0


def test_one_off_counts_on_its_date(data: DataBuilder, revenue) -> None:  # type: ignore[no-untyped-def]
    acme = data.client()
    data.one_off(acme, 250_000, on=date(2024, 2, 29))  # leap day
    assert revenue(acme, date(2024, 2, 1), date(2024, 2, 29)) == 250_000
    assert revenue(acme, date(2024, 3, 1), date(2024, 3, 31)) == 0
    assert revenue(acme, date(2024, 2, 29), date(2024, 2, 29)) == 250_000


def test_billable_entries_round_per_entry(data: DataBuilder, revenue) -> None:  # type: ignore[no-untyped-def]
    acme = data.client()
    sam = data.user()
    data.entry(acme, sam, date(2024, 2, 29), 7, 10_000)  # 1166.67 -> 1167
    data.entry(acme, sam, date(2024, 2, 1), 7, 10_000)  # 1167 again: 2334, not round(2333.33)
    data.entry(acme, sam, date(2024, 2, 2), 60, 10_000, billable=False)  # not billable: no revenue
    data.entry(acme, sam, date(2024, 3, 1), 60, 10_000)  # outside February
    assert revenue(acme, date(2024, 2, 1), date(2024, 2, 29)) == 2_334


def test_all_three_kinds_add_up(data: DataBuilder, revenue) -> None:  # type: ignore[no-untyped-def]
    acme = data.client()
    sam = data.user()
    data.recurring(acme, 100_000, start=date(2023, 6, 1), end=date(2024, 1, 31))
    data.recurring(acme, 20_000, start=date(2024, 2, 10))
    data.one_off(acme, 500_000, on=date(2024, 1, 31))
    hourly = data.hourly(acme, 15_000, start=date(2024, 1, 1))
    data.entry(acme, sam, date(2024, 1, 31), 90, 15_000, service_id=hourly)  # 22,500
    # Q1 2024: first retainer in January (100,000) + second in Feb and Mar (40,000)
    # + one-off (500,000) + entry (22,500).
    assert revenue(acme, date(2024, 1, 1), date(2024, 3, 31)) == 662_500


def test_mrr_counts_services_active_today(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    acme = data.client()
    data.recurring(acme, 100_000, start=date(2024, 1, 1))
    data.recurring(acme, 30_000, start=date(2024, 1, 1), end=date(2024, 3, 14))  # ended yesterday
    data.recurring(acme, 7_000, start=date(2024, 3, 15), end=date(2024, 3, 15))  # today only
    data.recurring(acme, 9_000, start=date(2024, 3, 16))  # starts tomorrow
    data.one_off(acme, 99_000, on=date(2024, 3, 15))  # not recurring
    today = date(2024, 3, 15)
    mrr = portal.call(figures.scope_mrr, test_db, ClientScope(), today)
    assert (mrr.mrr_cents, mrr.paying_clients) == (107_000, 1)
    figs = portal.call(figures.client_figures, test_db, acme, period(today, today), today)
    assert figs.mrr_cents == 107_000


def test_scope_totals_filter_and_active_clients(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    boss = data.user("Boss")
    active = data.client("Active Co", manager_id=boss)
    churned = data.client("Gone Co", status="churned")
    data.recurring(active, 10_000, start=date(2024, 1, 1))
    data.recurring(churned, 5_000, start=date(2024, 1, 1), end=date(2024, 1, 20))
    january = period(date(2024, 1, 1), date(2024, 1, 31))
    totals = portal.call(figures.scope_totals, test_db, ClientScope(), january, date(2024, 2, 1))
    assert totals.revenue_cents == 15_000
    active = portal.call(statuses.active_totals, test_db, ClientScope(), january, date(2024, 2, 1))
    assert (active.clients, active.revenue_cents) == (1, 10_000)
    only_boss = portal.call(figures.scope_totals, test_db, ClientScope(manager_id=boss), january, date(2024, 2, 1))
    assert only_boss.revenue_cents == 10_000
    searched = portal.call(figures.scope_totals, test_db, ClientScope(search="gone"), january, date(2024, 2, 1))
    assert searched.revenue_cents == 5_000
    # LIKE wildcards in a search are matched literally.
    wildcard = portal.call(figures.scope_totals, test_db, ClientScope(search="%"), january, date(2024, 2, 1))
    assert wildcard.revenue_cents == 0


def test_monthly_revenue_splits_by_kind(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    acme = data.client()
    sam = data.user()
    data.recurring(acme, 10_000, start=date(2024, 1, 31), end=date(2024, 2, 1))
    data.one_off(acme, 3_000, on=date(2024, 2, 29))
    data.entry(acme, sam, date(2024, 3, 31), 60, 6_000)
    series = portal.call(figures.monthly_revenue, test_db, ClientScope(client_id=acme), Month(2023, 12), Month(2024, 3))
    assert [(m.month.label, m.recurring_cents, m.one_off_cents, m.hourly_cents) for m in series] == [
        ("Dec 2023", 0, 0, 0),
        ("Jan 2024", 10_000, 0, 0),
        ("Feb 2024", 10_000, 3_000, 0),
        ("Mar 2024", 0, 0, 6_000),
    ]
