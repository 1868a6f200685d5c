"""MRR movements (issue #20 item 4): hand-computed months, and every month of two seeded datasets
equal to a reference that walks each client's MRR month by month."""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.reference import reference_mrr_movements
from tests.support import TODAY, DataBuilder
from web.db import Database
from web.db.seed import SIZES, seed
from web.periods import Month, trailing_months
from web.queries.mrr import Movements, mrr_movements, over
from web.queries.scope import ClientScope

EVERYONE = ClientScope()


def movements(  # type: ignore[no-untyped-def]
    portal: BlockingPortal, db: Database, first: Month, last: Month, scope: ClientScope = EVERYONE
):
    return {m.month: m.movements for m in portal.call(mrr_movements, db, scope, first, last)}


def test_each_kind_of_movement_by_hand(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    acme, bolt, cargo = data.client("Acme"), data.client("Bolt"), data.client("Cargo")
    care = data.recurring(acme, 100_000, start=date(2026, 1, 5))  # new in January: 1,000
    data.price_change(care, date(2026, 4, 1), 150_000)  # expansion in April: +500
    data.price_change(care, date(2026, 6, 1), 120_000)  # contraction in June: -300
    data.recurring(bolt, 50_000, start=date(2026, 2, 1), end=date(2026, 3, 20))  # new in Feb, churned in April
    data.recurring(bolt, 60_000, start=date(2026, 6, 10))  # reactivated in June: 600
    data.recurring(cargo, 20_000, start=date(2026, 4, 1), end=date(2026, 4, 30))  # new in April, churned in May
    data.recurring(acme, 30_000, start=date(2026, 4, 15))  # Acme's second retainer: expansion in April too
    got = movements(portal, test_db, Month(2026, 1), Month(2026, 6))
    assert got == {
        Month(2026, 1): Movements(0, new_cents=100_000),
        Month(2026, 2): Movements(100_000, new_cents=50_000),
        Month(2026, 3): Movements(150_000),
        Month(2026, 4): Movements(150_000, new_cents=20_000, expansion_cents=80_000, churn_cents=50_000),
        Month(2026, 5): Movements(200_000, churn_cents=20_000),
        Month(2026, 6): Movements(180_000, reactivation_cents=60_000, contraction_cents=30_000),
    }
    assert got[Month(2026, 6)].ending_cents == 210_000 and got[Month(2026, 6)].net_new_cents == 30_000
    quarter = over(portal.call(mrr_movements, test_db, ClientScope(), Month(2026, 4), Month(2026, 6)))
    assert quarter == Movements(150_000, 20_000, 60_000, 80_000, 30_000, 70_000)
    assert quarter.ending_cents == 210_000
    only_bolt = movements(portal, test_db, Month(2026, 4), Month(2026, 6), ClientScope(client_id=bolt))
    assert only_bolt[Month(2026, 6)] == Movements(0, reactivation_cents=60_000)
    data.val("DELETE FROM services WHERE client_id = :id", id=cargo)  # the table follows every write
    assert movements(portal, test_db, Month(2026, 4), Month(2026, 4))[Month(2026, 4)].new_cents == 0
    assert data.val("SELECT count(*) FROM client_month_recurring WHERE client_id = :id", id=cargo) == 0


@pytest.mark.parametrize("rng_seed", [11, 23])
def test_movements_match_the_reference_on_seeded_data(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, rng_seed: int
) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY, rng_seed=rng_seed))
    months = trailing_months(Month.of(TODAY).plus(2), 30)  # two years and a half, a change ahead included
    services = data.rows("SELECT * FROM services")
    expected = reference_mrr_movements(services, months)
    got = portal.call(mrr_movements, test_db, ClientScope(), months[0], months[-1])
    as_dicts = [
        {
            "starting": m.movements.starting_cents,
            "new": m.movements.new_cents,
            "reactivation": m.movements.reactivation_cents,
            "expansion": m.movements.expansion_cents,
            "contraction": m.movements.contraction_cents,
            "churn": m.movements.churn_cents,
            "ending": m.movements.ending_cents,
        }
        for m in got
    ]
    assert as_dicts == expected
    assert sum(m["churn"] for m in expected) > 0 and sum(m["new"] for m in expected) > 0  # real movements
    assert data.val("SELECT count(*) FROM client_month_recurring") == data.val(
        "SELECT count(*) FROM (SELECT client_id, month FROM client_month_contributions"
        " WHERE recurring_change_cents <> 0 GROUP BY 1, 2 HAVING SUM(recurring_change_cents) <> 0) kept"
    )
