"""Cost rates, an entry's cost and a client's cost and margin (issue #20 item 5, migration 0018),
against hand-computed figures and the slow reference."""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.reference import reference_costs
from tests.support import DataBuilder
from web.db import Database
from web.periods import Period
from web.queries import costs

NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def logged(data: DataBuilder) -> dict[str, int]:
    """Ana logs 90 minutes on the 3rd, 10th and 20th of November; Ben (no cost rate yet) 45 on the 10th."""
    ana, ben = data.user("Ana"), data.user("Ben")
    acme = data.client("Acme")
    for day in (3, 10, 20):
        data.entry(acme, ana, date(2026, 11, day), 90, 12_000)
    data.entry(acme, ben, date(2026, 11, 10), 45, 12_000)
    return {"ana": ana, "ben": ben, "acme": acme}


def test_a_cost_rate_from_a_day_costs_the_time_from_that_day(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, logged: dict[str, int]
) -> None:
    def cost(period: Period = NOVEMBER) -> tuple[int, int]:
        c = portal.call(costs.client_cost, test_db, logged["acme"], period)
        return c.cost_cents, c.uncosted_minutes

    assert cost() == (0, 315)  # nobody has a cost rate: all of it uncosted
    assert portal.call(costs.set_cost_rate, test_db, logged["ana"], date(2026, 11, 1), 5_000) is None
    assert cost() == (3 * 7_500, 45)  # 90 min at €50/h = €75 each
    # From the 10th on €60/h: the 3rd keeps €50; the two later ones cost €90.
    assert portal.call(costs.set_cost_rate, test_db, logged["ana"], date(2026, 11, 10), 6_000) == 5_000
    assert cost() == (7_500 + 2 * 9_000, 45)
    # Ben's €45.55/h for 45 minutes: €34.1625, rounded half up to the cent.
    portal.call(costs.set_cost_rate, test_db, logged["ben"], date(2026, 1, 1), 4_555)
    assert cost() == (7_500 + 2 * 9_000 + 3_416, 0)
    # A period cutting the month reads the entries of its days; the rollup answers whole months.
    assert cost(Period("custom", date(2026, 11, 5), date(2026, 11, 15))) == (9_000 + 3_416, 0)
    # New time takes the rate of its day; moving an entry to another day prices it again.
    entry = data.entry(logged["acme"], logged["ana"], date(2026, 11, 4), 60, 12_000)
    assert data.val("SELECT cost_rate_cents FROM timesheet_entries WHERE id = :id", id=entry) == 5_000
    data.val("UPDATE timesheet_entries SET work_date = '2026-11-24' WHERE id = :id", id=entry)
    assert data.val("SELECT cost_rate_cents FROM timesheet_entries WHERE id = :id", id=entry) == 6_000
    entries = data.rows("SELECT client_id, user_id, work_date, minutes FROM timesheet_entries")
    reference = reference_costs(entries, data.rows("SELECT * FROM user_cost_rates"), NOVEMBER.start, NOVEMBER.end)
    assert cost() == reference[logged["acme"]] == (7_500 + 2 * 9_000 + 3_416 + 6_000, 0)
    rates = portal.call(costs.cost_rates, test_db, [logged["ana"], logged["ben"]])
    assert [(r.since, r.cents) for r in rates[logged["ana"]]] == [
        (date(2026, 11, 1), 5_000),
        (date(2026, 11, 10), 6_000),
    ]


def test_margin_is_revenue_less_cost() -> None:
    assert (costs.Margin(472_500, 198_350).margin_cents, costs.Margin(472_500, 198_350).percent) == (274_150, 58.0)
    assert costs.Margin(100_000, 150_000).percent == -50
    assert costs.Margin(0, 5_000).percent is None
