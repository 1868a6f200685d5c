"""Dated retainer prices (issue #20 item 1): each month bills the price in effect in it, on every
path a figure takes (the status totals, the figures query, the client rows, the trend), equal to
hand-computed figures and to the reference."""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.reference import reference_mrr, reference_revenue
from tests.support import TODAY, DataBuilder
from web.db import Database
from web.periods import Month, Period
from web.queries import figures
from web.queries.scope import ClientScope


@pytest.fixture
def retainers(data: DataBuilder) -> int:
    """Acme's two retainers with price changes; today is 15 November 2026."""
    acme = data.client("Acme")
    ongoing = data.recurring(acme, 100_000, start=date(2026, 1, 10))  # €1,000 a month
    data.price_change(ongoing, date(2026, 9, 1), 120_000)  # €1,200 from September
    data.price_change(ongoing, date(2027, 1, 1), 150_000)  # €1,500 from January: not yet
    ended = data.recurring(acme, 50_000, start=date(2026, 1, 1), end=date(2026, 10, 10))
    data.price_change(ended, date(2026, 10, 1), 60_000)  # its last month at €600
    return acme


@pytest.mark.parametrize(
    ("start", "end", "euros"),
    [
        (date(2026, 8, 1), date(2026, 8, 31), 1_500),  # before the changes: 1,000 + 500
        (date(2026, 9, 1), date(2026, 9, 30), 1_700),  # 1,200 + 500
        (date(2026, 10, 1), date(2026, 10, 31), 1_800),  # 1,200 + 600
        (date(2026, 7, 1), date(2026, 9, 30), 4_700),  # a quarter across a change: 3 x 500 + 1,000 x 2 + 1,200
        (date(2026, 8, 20), date(2026, 9, 10), 3_200),  # cut months: August's prices, then September's
        (date(2026, 10, 15), date(2026, 10, 31), 1_200),  # the ended one's last (€600) month is not in it
        (date(2027, 1, 1), date(2027, 1, 31), 1_500),  # a change ahead bills from its month
    ],
)
def test_each_month_bills_the_price_in_effect_in_it(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, retainers: int, start: date, end: date, euros: int
) -> None:
    period = Period("custom", start, end)
    services = data.rows("SELECT * FROM services")
    assert sum(reference_revenue(services, [], start, end).values()) == euros * 100
    everyone = portal.call(figures.scope_totals, test_db, ClientScope(), period, TODAY)  # status totals
    one = portal.call(figures.client_figures, test_db, retainers, period, TODAY)  # the figures query
    rows = portal.call(figures.client_months, test_db, [retainers], period, TODAY)  # the client rows
    assert everyone.revenue_cents == one.revenue_cents == rows[retainers].figures.revenue_cents == euros * 100


def test_mrr_and_the_trend_follow_the_dated_prices(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, retainers: int
) -> None:
    services = data.rows("SELECT * FROM services")
    assert reference_mrr(services, TODAY) == {retainers: 120_000}
    assert portal.call(figures.scope_mrr, test_db, ClientScope(), TODAY).mrr_cents == 120_000
    assert portal.call(figures.client_figures, test_db, retainers, Period("custom", TODAY, TODAY), TODAY).mrr_cents == (
        120_000
    )
    expected = [15, 15, 17, 18, 12, 12, 15]  # hundreds of euros, Jul 2026 to Jan 2027
    for scope in (ClientScope(), ClientScope(client_id=retainers)):  # the status totals, the figures query
        trend = portal.call(figures.monthly_revenue, test_db, scope, Month(2026, 7), Month(2027, 1))
        assert [m.recurring_cents // 10_000 for m in trend] == expected, scope
    rows = portal.call(figures.client_months, test_db, [retainers], Period("custom", date(2026, 11, 1), TODAY), TODAY)
    assert [m.recurring_cents // 10_000 for m in rows[retainers].series[-5:]] == [15, 15, 17, 18, 12]


def test_a_price_change_moves_the_rollups_and_a_status_change_carries_it(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, retainers: int
) -> None:
    september = Period("custom", date(2026, 9, 1), date(2026, 9, 30))

    def everyone() -> int:
        return portal.call(figures.scope_totals, test_db, ClientScope(), september, TODAY).revenue_cents

    assert everyone() == 170_000
    service = data.val("SELECT id FROM services WHERE end_date IS NULL")
    data.price_change(service, date(2026, 9, 1), 130_000)  # the September change itself, corrected
    assert data.val("SELECT jsonb_array_length(price_changes) FROM services WHERE id = :id", id=service) == 2
    assert everyone() == 180_000
    data.val("UPDATE clients SET status = 'paused' WHERE id = :id", id=retainers)
    paused = portal.call(figures.scope_totals, test_db, ClientScope(status="paused"), september, TODAY)
    assert paused.revenue_cents == everyone() == 180_000
    data.val("UPDATE services SET price_changes = '[]' WHERE id = :id", id=service)  # every change undone
    assert everyone() == 150_000
    data.val("DELETE FROM services")
    assert everyone() == 0
