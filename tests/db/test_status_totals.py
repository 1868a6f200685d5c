"""The status totals (migrations 0006, 0010) against the per-client figures query, through every write.

Cards for all clients, or for one status, read `status_month_totals` (and, for the days of months a
period cuts, `status_day_entries`); any other scope reads the figures CTE client by client. Asking
for the same clients both ways (the second by their ids) must give the same numbers after inserts,
updates, deletes, status changes and TRUNCATE.
"""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.support import DataBuilder
from web.db import Database
from web.db.seed import SIZES, seed
from web.periods import Month, Period
from web.queries import figures
from web.queries.scope import CLIENT_STATUSES, ClientScope

TODAY = date(2026, 11, 15)
PERIODS = [
    Period("this_month", date(2026, 11, 1), date(2026, 11, 30)),
    Period("custom", date(2025, 4, 1), date(2025, 6, 30)),
    Period("last_12_months", date(2025, 12, 1), date(2026, 11, 30)),
    Period("custom", date(2020, 1, 1), date(2027, 12, 31)),  # before the first service, after the last entry
    # Periods that cut months read the day totals (migration 0010) for the days they cut.
    Period("this_month", date(2026, 11, 1), date(2026, 11, 15)),  # so far, and the same days before
    Period("custom", date(2026, 10, 1), date(2026, 10, 15)),
    Period("custom", date(2026, 11, 15), date(2026, 11, 15)),
    Period("custom", date(2025, 4, 17), date(2026, 2, 3)),  # whole months between two cut ones
    Period("custom", date(2024, 12, 30), date(2025, 1, 2)),  # across a year, no whole month
]


def assert_both_ways_agree(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    for status in (None, *CLIENT_STATUSES):
        ids = tuple(
            r["id"] for r in data.rows("SELECT id FROM clients WHERE CAST(:s AS text) IS NULL OR status = :s", s=status)
        )
        by_status, by_ids = ClientScope(status=status), ClientScope(client_ids=ids)
        assert by_status.statuses_only and not by_ids.statuses_only
        for period in PERIODS:
            fast = portal.call(figures.scope_totals, test_db, by_status, period, TODAY)
            slow = portal.call(figures.scope_totals, test_db, by_ids, period, TODAY)
            assert fast == slow, (status, period)
        fast_series = portal.call(figures.monthly_revenue, test_db, by_status, Month(2025, 1), Month(2026, 12))
        slow_series = portal.call(figures.monthly_revenue, test_db, by_ids, Month(2025, 1), Month(2026, 12))
        assert fast_series == slow_series, status


@pytest.mark.parametrize("rng_seed", [3, 29])
def test_status_totals_follow_every_write(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, rng_seed: int
) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY, rng_seed=rng_seed))
    assert data.val("SELECT count(*) FROM status_month_totals") > 0
    assert data.val("SELECT count(*) FROM status_day_entries") > 0
    assert_both_ways_agree(data, test_db, portal)

    clients = [r["id"] for r in data.rows("SELECT id FROM clients ORDER BY id")]
    # Status changes move a client's whole share; other client updates move nothing.
    data.val("UPDATE clients SET status = 'churned' WHERE id = :id", id=clients[0])
    data.val("UPDATE clients SET status = 'active', name = name || ' Ltd' WHERE id = :id", id=clients[1])
    # Services: a new open-ended one, a price and end change, a move to another client, a delete.
    data.recurring(clients[2], 12_345, start=date(2025, 5, 17))
    data.one_off(clients[3], 50_000, on=date(2026, 11, 30))
    service = data.val("SELECT id FROM services WHERE kind = 'recurring' ORDER BY id LIMIT 1")
    data.val(
        "UPDATE services SET monthly_price_cents = monthly_price_cents + 1, end_date = start_date + 40 WHERE id = :id",
        id=service,
    )
    data.val("UPDATE services SET end_date = NULL WHERE kind = 'recurring' AND end_date IS NOT NULL")
    # Retainers that end before, or begin after, the days a period holds of a month it cuts.
    data.recurring(clients[2], 777, start=date(2024, 3, 3), end=date(2026, 11, 10))
    data.recurring(clients[3], 888, start=date(2026, 10, 20), end=date(2026, 12, 3))
    data.val("DELETE FROM timesheet_entries WHERE service_id = (SELECT max(id) FROM services WHERE kind = 'one_off')")
    data.val("DELETE FROM services WHERE id = (SELECT max(id) FROM services WHERE kind = 'one_off')")
    # Entries: moved to another client and month, and deleted.
    data.val(
        "UPDATE timesheet_entries SET client_id = :c, service_id = NULL, work_date = work_date - 45 "
        "WHERE id IN (SELECT id FROM timesheet_entries ORDER BY id LIMIT 20)",
        c=clients[4],
    )
    data.val("DELETE FROM timesheet_entries WHERE id IN (SELECT id FROM timesheet_entries ORDER BY id DESC LIMIT 20)")
    assert_both_ways_agree(data, test_db, portal)

    # A deleted client takes its share with it (its services and entries go by cascade).
    data.val("DELETE FROM audit_log WHERE true")
    data.val("DELETE FROM clients WHERE id = :id", id=clients[5])
    assert_both_ways_agree(data, test_db, portal)

    data.val("TRUNCATE timesheet_entries")
    assert data.val("SELECT count(*) FROM status_day_entries") == 0
    assert_both_ways_agree(data, test_db, portal)
    data.val("TRUNCATE services CASCADE")
    assert data.val("SELECT count(*) FROM status_month_totals WHERE recurring_change_cents <> 0") == 0
    assert_both_ways_agree(data, test_db, portal)
