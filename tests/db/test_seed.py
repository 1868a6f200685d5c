"""Seeded data: reproducible, realistic in shape, and every figure equal to the reference."""

from __future__ import annotations

from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.reference import reference_client_statuses, reference_costs, reference_mrr, reference_revenue
from tests.support import DataBuilder
from web.db import Database
from web.db.seed import DAY_CAPACITY, DEMO_EMAIL, SIZES, SeedError, seed
from web.periods import Month, Period, trailing_months
from web.queries import costs, figures, statuses
from web.queries.scope import ClientScope

TODAY = date(2026, 11, 15)


def fingerprint(data: DataBuilder) -> tuple[int, ...]:
    row = data.rows(
        "SELECT (SELECT count(*) FROM clients) AS c, (SELECT count(*) FROM services) AS s, "
        "(SELECT count(*) FROM timesheet_entries) AS e, (SELECT sum(amount_cents) FROM timesheet_entries) AS a, "
        "(SELECT sum(minutes * client_id) FROM timesheet_entries) AS mix"
    )[0]
    return tuple(int(v) for v in row.values())


def test_seed_is_reproducible_and_refuses_to_mix(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY))
    first = fingerprint(data)
    # A database given by DATABASE_URL never gets a default account.
    assert data.val("SELECT count(*) FROM users WHERE password_hash IS NOT NULL") == 0
    assert first[0] == SIZES["tiny"].clients
    assert 0.9 * SIZES["tiny"].entries <= first[2] <= SIZES["tiny"].entries
    with pytest.raises(SeedError, match="use --reset"):
        portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY))
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY, reset=True))
    assert fingerprint(data) == first
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY, reset=True, rng_seed=7, demo_account=True))
    assert fingerprint(data) != first
    assert data.val("SELECT count(*) FROM users WHERE email = :e AND password_hash IS NOT NULL", e=DEMO_EMAIL) == 1


def test_seeded_data_has_realistic_shape(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    portal.call(lambda: seed(test_db, SIZES["demo"], today=TODAY))
    statuses = {r["status"]: r["n"] for r in data.rows("SELECT status, count(*) AS n FROM clients GROUP BY status")}
    assert statuses.get("churned", 0) > 0 and statuses["active"] > statuses.get("paused", 0)
    shares = [
        r["n"] for r in data.rows("SELECT count(*) AS n FROM timesheet_entries GROUP BY client_id ORDER BY n DESC")
    ]
    top_tenth = sum(shares[: max(1, len(shares) // 10)])
    assert top_tenth > 0.3 * sum(shares)  # a few big clients do much of the work
    by_month = {
        r["m"]: r["n"]
        for r in data.rows(
            "SELECT extract(month FROM work_date)::int AS m, count(*) AS n FROM timesheet_entries "
            "WHERE work_date >= '2025-01-01' AND work_date < '2026-01-01' GROUP BY 1"
        )
    }
    assert by_month[8] < by_month[10]  # quiet August
    assert data.val("SELECT count(*) FROM timesheet_entries WHERE extract(isodow FROM work_date) > 5") == 0
    # The entries asked for (give or take rounding and the rare entry that found no day with room),
    # and no one's day longer than a long working day: the app refuses a day over 24 hours, and
    # seeded days of 80 hours made editing their entries fail.
    assert data.val("SELECT count(*) FROM timesheet_entries") >= 0.999 * SIZES["demo"].entries
    longest = "SELECT max(m) FROM (SELECT sum(minutes) AS m FROM timesheet_entries GROUP BY user_id, work_date) d"
    assert data.val(longest) <= DAY_CAPACITY
    # Clients paused or churned were active until then: their history has both.
    ended = data.rows(
        "SELECT c.id, array_agg(s.status ORDER BY s.from_date) AS runs FROM clients c"
        " JOIN client_statuses s ON s.client_id = c.id WHERE c.status IN ('paused', 'churned') GROUP BY c.id, c.status"
    )
    assert ended and all(r["runs"][0] == "active" and len(r["runs"]) == 2 for r in ended)
    # Entries on a service always belong to that service's client (enforced by a foreign key).
    assert data.val("SELECT count(*) FROM timesheet_entries WHERE service_id IS NOT NULL") > 0


@pytest.mark.parametrize(
    "period",
    [
        Period("this_month", date(2026, 11, 1), date(2026, 11, 30)),
        Period("custom", date(2025, 2, 14), date(2025, 9, 3)),
        Period("custom", date(2024, 2, 29), date(2024, 3, 1)),
        Period("custom", date(2025, 1, 10), date(2025, 1, 31)),  # ends a month: the next one is not included
        Period("custom", date(2026, 10, 1), date(2026, 10, 2)),  # the first days of a month (see Period.previous)
        Period("custom", date(2025, 11, 20), date(2026, 2, 10)),  # cuts both ends, across a year
        Period("custom", date(2025, 3, 5), date(2025, 6, 30)),  # cut first month, whole months after
        Period("ytd", date(2026, 1, 1), date(2026, 11, 15)),
        Period("last_12_months", date(2025, 12, 1), date(2026, 11, 30)),
    ],
    ids=lambda p: p.key(),
)
def test_figures_match_the_reference_on_seeded_data(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, period: Period
) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY, rng_seed=11))
    services = data.rows("SELECT * FROM services")
    entries = data.rows("SELECT client_id, work_date, minutes, billable, rate_cents FROM timesheet_entries")
    expected = reference_revenue(services, entries, period.start, period.end)
    expected_mrr = reference_mrr(services, TODAY)
    totals = portal.call(figures.scope_totals, test_db, ClientScope(), period, TODAY)
    assert totals.revenue_cents == sum(expected.values())
    # The cards' other totals, whole months or cut (from the status totals and the cut days' entries)
    in_period = [e for e in entries if period.start <= e["work_date"] <= period.end]
    assert totals.minutes == sum(e["minutes"] for e in in_period)
    assert totals.billable_minutes == sum(e["minutes"] for e in in_period if e["billable"])
    status = {row["id"]: row["status"] for row in data.rows("SELECT id, status FROM clients")}
    # Active, new and churned by the status history (paused and churned clients were active before).
    reference = reference_client_statuses(data.rows("SELECT * FROM client_statuses"), period.start, period.end)
    counts = portal.call(statuses.client_counts, test_db, ClientScope(), period)
    assert (counts.active, counts.new, counts.churned) == tuple(len(reference[k]) for k in ("active", "new", "churned"))
    active = portal.call(statuses.active_totals, test_db, ClientScope(), period, TODAY)
    assert active.clients == len(reference["active"])
    assert active.revenue_cents == sum(cents for c, cents in expected.items() if c in reference["active"])
    for one_status in ("active", "churned"):
        of_status = portal.call(figures.scope_totals, test_db, ClientScope(status=one_status), period, TODAY)
        assert of_status.revenue_cents == sum(v for c, v in expected.items() if status[c] == one_status)
    mrr = portal.call(figures.scope_mrr, test_db, ClientScope(), TODAY)
    assert mrr.mrr_cents == sum(expected_mrr.values())
    client_ids = [r["id"] for r in data.rows("SELECT id FROM clients")]
    rows = portal.call(figures.client_months, test_db, client_ids, period, TODAY)  # the dashboard's rows
    window = trailing_months(Month.of(period.end), 12)
    by_month = [reference_revenue(services, entries, m.first_day, m.last_day) for m in window]
    cost_rates = data.rows("SELECT * FROM user_cost_rates")
    all_entries = data.rows("SELECT client_id, user_id, work_date, minutes FROM timesheet_entries")
    expected_costs = reference_costs(all_entries, cost_rates, period.start, period.end)
    ever = reference_costs(all_entries, cost_rates, date.min, date.max)
    assert any(uncosted for _, uncosted in ever.values())  # some people have no cost rate
    for client_id in client_ids:
        cost = portal.call(costs.client_cost, test_db, client_id, period)
        assert (cost.cost_cents, cost.uncosted_minutes) == expected_costs.get(client_id, (0, 0)), client_id
        figs = portal.call(figures.client_figures, test_db, client_id, period, TODAY)
        assert figs.revenue_cents == expected.get(client_id, 0), client_id
        assert figs.mrr_cents == expected_mrr.get(client_id, 0), client_id
        assert rows[client_id].figures == figs, client_id
        series = [(m.month, m.revenue_cents) for m in rows[client_id].series]
        assert series == [(m, revenue.get(client_id, 0)) for m, revenue in zip(window, by_month, strict=True)]


def test_the_rollup_follows_every_write(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    """Inserts, updates (moving an entry to another month and client), deletes and TRUNCATE keep the
    monthly rollup equal to a fresh computation from the entries."""
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY))

    def rollup() -> list[dict]:  # type: ignore[type-arg]
        return data.rows(
            "SELECT client_id, month, amount_cents, billable_minutes, minutes, entries "
            "FROM client_month_entries WHERE entries <> 0 ORDER BY 1, 2"
        )

    def fresh() -> list[dict]:  # type: ignore[type-arg]
        return data.rows(
            "SELECT client_id, date_trunc('month', work_date)::date AS month, SUM(amount_cents) AS amount_cents,"
            " SUM(CASE WHEN billable THEN minutes ELSE 0 END) AS billable_minutes, SUM(minutes) AS minutes,"
            " count(*) AS entries FROM timesheet_entries GROUP BY 1, 2 ORDER BY 1, 2"
        )

    assert rollup() == fresh()
    first, other = [r["id"] for r in data.rows("SELECT id FROM timesheet_entries ORDER BY id LIMIT 2")]
    to_client = data.val("SELECT id FROM clients ORDER BY id DESC LIMIT 1")
    data.val(
        "UPDATE timesheet_entries SET work_date = work_date - 45, client_id = :c, service_id = NULL,"
        " billable = NOT billable WHERE id = :id",
        c=to_client,
        id=first,
    )
    data.val("DELETE FROM timesheet_entries WHERE id = :id", id=other)
    assert rollup() == fresh()
    data.val("TRUNCATE timesheet_entries")
    assert data.val("SELECT count(*) FROM client_month_entries") == 0
