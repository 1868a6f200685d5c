"""Active, new and churned clients by the status history (issue #20 item 2, migration 0017), on
hand-computed fixtures (status changes mid-month, a client before its start, a comeback) and,
with client costs (item 5), on two seeded datasets against the slow references."""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.reference import reference_client_statuses, reference_costs, reference_revenue
from tests.support import DataBuilder
from web.db import Database
from web.db.seed import SIZES, seed
from web.periods import Period
from web.queries import costs, statuses
from web.queries.scope import ClientScope

TODAY = date(2024, 6, 15)


def month(m: int) -> Period:
    return Period("custom", date(2024, m, 1), date(2024, m, 31 if m in (1, 3, 5) else 30 if m != 2 else 29))


@pytest.fixture
def clients(data: DataBuilder) -> dict[str, int]:
    """Gone: active from 1 Jan, churned from 15 Mar. Won: a lead from 1 Feb, active from 20 Feb.
    Back: active from 1 Jan, paused from 1 Feb, active again from 1 Apr. Each bills €1,000 a month
    of a retainer while active, and Gone had €500 of time logged in April, after it churned."""
    gone = data.client("Gone", status="active", created=date(2024, 1, 1))
    data.status(gone, date(2024, 3, 15), "churned")
    data.recurring(gone, 100_000, start=date(2024, 1, 1), end=date(2024, 3, 14))
    data.entry(gone, data.user("Sam"), date(2024, 4, 2), 300, 10_000)
    won = data.client("Won", status="lead", created=date(2024, 2, 1))
    data.status(won, date(2024, 2, 20), "active")
    data.recurring(won, 100_000, start=date(2024, 2, 20))
    back = data.client("Back", status="active", created=date(2024, 1, 1))
    data.status(back, date(2024, 2, 1), "paused")
    data.status(back, date(2024, 4, 1), "active")
    data.recurring(back, 100_000, start=date(2024, 1, 1), end=date(2024, 1, 31))
    data.recurring(back, 100_000, start=date(2024, 4, 1))
    return {"gone": gone, "won": won, "back": back}


@pytest.mark.parametrize(
    ("m", "active", "new", "churned", "revenue"),
    [
        (1, {"gone", "back"}, {"gone", "back"}, set(), 200_000),  # Won is not a client yet
        (2, {"gone", "won"}, {"won"}, set(), 200_000),  # Back paused all month
        (3, {"gone", "won"}, set(), {"gone"}, 200_000),  # Gone: active 1-14 March
        (4, {"won", "back"}, set(), set(), 200_000),  # Gone's April time is not an active client's
        (5, {"won", "back"}, set(), set(), 200_000),
    ],
)
@pytest.mark.parametrize("few_changed", [statuses.FEW_CHANGED, 0], ids=["correct-the-active-now", "less-inactive"])
def test_counts_and_active_revenue_follow_the_statuses_of_the_period(
    data: DataBuilder,
    test_db: Database,
    portal: BlockingPortal,
    clients: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    few_changed: int,
    m: int,
    active: set[str],
    new: set[str],
    churned: set[str],
    revenue: int,
) -> None:
    monkeypatch.setattr(statuses, "FEW_CHANGED", few_changed)  # each of the two ways, on the same figures
    period = month(m)
    counts = portal.call(statuses.client_counts, test_db, ClientScope(), period)
    assert (counts.active, counts.new, counts.churned) == (len(active), len(new), len(churned))
    totals = portal.call(statuses.active_totals, test_db, ClientScope(), period, TODAY)
    assert (totals.clients, totals.revenue_cents) == (len(active), revenue)
    # The slow reference agrees, client by client.
    reference = reference_client_statuses(data.rows("SELECT * FROM client_statuses"), period.start, period.end)
    assert reference == {
        k: {clients[n] for n in names} for k, names in (("active", active), ("new", new), ("churned", churned))
    }


@pytest.mark.parametrize("few_changed", [statuses.FEW_CHANGED, 0], ids=["correct-the-active-now", "less-inactive"])
def test_a_period_over_several_months_and_the_status_filter(
    test_db: Database,
    portal: BlockingPortal,
    clients: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    few_changed: int,
) -> None:
    monkeypatch.setattr(statuses, "FEW_CHANGED", few_changed)
    first_half = Period("custom", date(2024, 1, 1), date(2024, 6, 30))
    counts = portal.call(statuses.client_counts, test_db, ClientScope(), first_half)
    assert (counts.active, counts.new, counts.churned) == (3, 3, 1)  # Back's comeback is not new
    # The status filter picks clients by their status now: the churned one, active in February.
    churned_now = portal.call(statuses.client_counts, test_db, ClientScope(status="churned"), month(2))
    assert (churned_now.active, churned_now.new, churned_now.churned) == (1, 0, 0)
    totals = portal.call(statuses.active_totals, test_db, ClientScope(status="churned"), month(3), TODAY)
    assert (totals.clients, totals.revenue_cents) == (1, 100_000)


def test_a_change_is_dated_within_the_history(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, clients: dict[str, int]
) -> None:
    gone = clients["gone"]

    def history() -> list[tuple[date, str]]:
        return [(r.since, r.status) for r in portal.call(statuses.status_runs, test_db, gone)]

    with pytest.raises(statuses.InvalidStatusDate, match="last changed on 15 Mar 2024"):
        portal.call(statuses.set_status, test_db, gone, date(2024, 3, 1), "paused")
    portal.call(statuses.set_status, test_db, gone, date(2024, 3, 15), "paused")  # the same day: replaced
    assert history() == [(date(2024, 1, 1), "active"), (date(2024, 3, 15), "paused")]
    portal.call(statuses.set_status, test_db, gone, date(2024, 3, 15), "active")  # taken back: no change at all
    assert history() == [(date(2024, 1, 1), "active")]
    # A status saved without a date (a script) changes from today, after the last change.
    data.val("UPDATE clients SET status = 'paused' WHERE id = :id", id=gone)
    today = data.val("SELECT current_date")
    assert history() == [(date(2024, 1, 1), "active"), (today, "paused")]
    runs = portal.call(statuses.status_runs, test_db, gone)
    assert (runs[0].until, runs[-1].until) == (date.fromordinal(today.toordinal() - 1), None)
    # A new client starts on the day it is created, with the status it is created with.
    assert [(r.since, r.status) for r in portal.call(statuses.status_runs, test_db, clients["won"])] == [
        (date(2024, 2, 1), "lead"),
        (date(2024, 2, 20), "active"),
    ]


@pytest.mark.parametrize(("rng_seed", "few_changed"), [(11, 100), (23, 0)])
def test_counts_costs_and_active_revenue_match_the_reference_on_seeded_data(
    data: DataBuilder,
    test_db: Database,
    portal: BlockingPortal,
    monkeypatch: pytest.MonkeyPatch,
    rng_seed: int,
    few_changed: int,
) -> None:
    """Two seeded datasets (clients that paused or churned mid-month, cost rates raised a year ago,
    people without one), periods whole and cut, against the slow references from raw rows."""
    monkeypatch.setattr(statuses, "FEW_CHANGED", few_changed)  # both ways to the active clients' revenue
    today = date(2026, 11, 15)
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=today, rng_seed=rng_seed))
    services = data.rows("SELECT * FROM services")
    entries = data.rows("SELECT client_id, user_id, work_date, minutes, billable, rate_cents FROM timesheet_entries")
    status_rows, cost_rates = data.rows("SELECT * FROM client_statuses"), data.rows("SELECT * FROM user_cost_rates")
    client_ids = [r["id"] for r in data.rows("SELECT id FROM clients")]
    churned, uncosted = set(), 0  # what makes the datasets worth checking: seen below
    for period in (
        Period("this_month", date(2026, 11, 1), date(2026, 11, 30)),
        Period("custom", date(2025, 9, 12), date(2026, 2, 3)),
        Period("last_12_months", date(2025, 12, 1), date(2026, 11, 30)),
    ):
        revenue = reference_revenue(services, entries, period.start, period.end)
        reference = reference_client_statuses(status_rows, period.start, period.end)
        counts = portal.call(statuses.client_counts, test_db, ClientScope(), period)
        assert (counts.active, counts.new, counts.churned) == tuple(
            len(reference[k]) for k in ("active", "new", "churned")
        )
        active = portal.call(statuses.active_totals, test_db, ClientScope(), period, today)
        assert (active.clients, active.revenue_cents) == (
            len(reference["active"]),
            sum(cents for c, cents in revenue.items() if c in reference["active"]),
        )
        expected_costs = reference_costs(entries, cost_rates, period.start, period.end)
        churned |= reference["churned"]
        uncosted += sum(minutes for _, minutes in expected_costs.values())
        found = portal.call(costs.clients_costs, test_db, client_ids, period)
        assert {c: (v.cost_cents, v.uncosted_minutes) for c, v in found.items()} == {
            c: expected_costs.get(c, (0, 0)) for c in client_ids
        }
    assert churned and uncosted  # clients churned inside the periods; time without a cost rate
