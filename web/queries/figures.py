"""Revenue, MRR and hours: the one definition of every figure Billable shows.

Revenue of a client for a period (days start..end, both included) is the sum of
  * recurring services: the monthly price for every calendar month of the period in which the
    service was active on at least one day of the period;
  * one-off services whose date (start_date) falls in the period;
  * billable time entries in the period, each minutes / 60 x rate rounded half up to the cent.
MRR is the sum of monthly prices of recurring services active today.
A recurring service's price can change from a month on (migration 0012): each month bills the price
in effect in it, read through the SQL functions recurring_terms and dated_value (on the columns alone, so
that MRR stays an index-only scan).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.db import Database
from web.periods import Month, Period, trailing_months
from web.queries import status_totals
from web.queries.scope import ClientScope
from web.queries.totals import (
    PERIOD_COLUMNS,
    Figures,
    MonthChanges,
    MonthRevenue,
    PeriodTotals,
    column_sums,
    month_revenue,
    monthly_totals,
    period_months,
    read_once,
    span_params,
)

# One row per client in scope with its figures for :start..:end and its MRR on :today.
_FIGURES_SQL = """
WITH scope AS NOT MATERIALIZED (SELECT c.id, c.status FROM clients c WHERE {where}),
recurring AS (
    -- By term (a run of one price, migration 0012): each bills the months it touches in the period.
    SELECT t.client_id,
           SUM(t.monthly_price_cents * months_touched(GREATEST(t.start_date, :start),
                                                      LEAST(COALESCE(t.end_date, :end), :end))) AS cents
    FROM services s JOIN scope ON scope.id = s.client_id CROSS JOIN LATERAL recurring_terms(s) t
    WHERE s.kind = 'recurring' AND s.start_date <= :end AND (s.end_date IS NULL OR s.end_date >= :start)
      AND t.start_date <= :end AND (t.end_date IS NULL OR t.end_date >= :start)
    GROUP BY t.client_id),
mrr AS (
    SELECT s.client_id, SUM(dated_value(s.monthly_price_cents, s.price_changes, :today)) AS cents
    FROM services s JOIN scope ON scope.id = s.client_id
    WHERE s.kind = 'recurring' AND s.start_date <= :today AND (s.end_date IS NULL OR s.end_date >= :today)
    GROUP BY s.client_id),
one_off AS (
    SELECT s.client_id, SUM(s.fixed_price_cents) AS cents
    FROM services s JOIN scope ON scope.id = s.client_id
    WHERE s.kind = 'one_off' AND s.start_date BETWEEN :start AND :end
    GROUP BY s.client_id),
hourly AS (
    -- Whole months from the rollup; the days of months the period cuts from the entries.
    SELECT client_id, SUM(cents) AS cents, SUM(billable_minutes) AS billable_minutes, SUM(minutes) AS minutes
    FROM (
        SELECT r.client_id, r.amount_cents AS cents, r.billable_minutes, r.minutes
        FROM client_month_entries r JOIN scope ON scope.id = r.client_id
        WHERE r.month BETWEEN :full_first AND :full_last
        UNION ALL
        SELECT e.client_id, e.amount_cents, CASE WHEN e.billable THEN e.minutes ELSE 0 END, e.minutes
        FROM timesheet_entries e JOIN scope ON scope.id = e.client_id
        WHERE e.work_date BETWEEN :start AND :end AND (e.work_date < :full_first OR e.work_date > :full_last_day)
    ) parts
    GROUP BY client_id),
figures AS (
    SELECT scope.id AS client_id, scope.status,
           COALESCE(recurring.cents, 0) AS recurring_cents,
           COALESCE(one_off.cents, 0) AS one_off_cents,
           COALESCE(hourly.cents, 0) AS hourly_cents,
           COALESCE(hourly.billable_minutes, 0) AS billable_minutes,
           COALESCE(hourly.minutes, 0) AS minutes,
           COALESCE(mrr.cents, 0) AS mrr_cents
    FROM scope
    LEFT JOIN recurring ON recurring.client_id = scope.id
    LEFT JOIN one_off ON one_off.client_id = scope.id
    LEFT JOIN hourly ON hourly.client_id = scope.id
    LEFT JOIN mrr ON mrr.client_id = scope.id)
"""

_TOTALS_SELECT = """
SELECT COALESCE(SUM(recurring_cents), 0) AS recurring_cents,
       COALESCE(SUM(one_off_cents), 0) AS one_off_cents,
       COALESCE(SUM(hourly_cents), 0) AS hourly_cents,
       COALESCE(SUM(billable_minutes), 0) AS billable_minutes,
       COALESCE(SUM(minutes), 0) AS minutes
FROM figures
"""

# Sort orders of the client list that need figures; name order needs none (see clients.py).
FIGURE_SORTS = {
    "revenue": "recurring_cents + one_off_cents + hourly_cents",
    "mrr": "mrr_cents",
    "hours": "billable_minutes",  # the figure the Hours column shows first
    # The effective hourly rate (web.money.hourly_rate_cents); none without time logged: those last.
    "rate": "(recurring_cents + one_off_cents + hourly_cents) * 60.0 / NULLIF(minutes, 0)",
    # Gross margin: needs the client's cost joined as `cost` (web.queries.costs.client_cost_sql).
    "margin": "recurring_cents + one_off_cents + hourly_cents - cost.cost_cents",
}


def list_order(sort: str, descending: bool) -> str:
    """The client list's ORDER BY (clients as c, figures as f): the dashboard and its export agree,
    ties included."""
    direction = "DESC" if descending else "ASC"
    if sort == "name":
        return f"lower(c.name) {direction}, c.id {direction}"
    return f"{FIGURE_SORTS[sort]} {direction} NULLS LAST, lower(c.name), c.id"


def figures_cte(scope: ClientScope, period: Period, today: date, also: str = "true") -> tuple[str, dict[str, Any]]:
    """The `figures` CTE (one row per client in scope, and on clients `c` the condition `also`) and
    its parameters, for composing queries."""
    where, params = scope.where()
    return _FIGURES_SQL.format(where=f"{where} AND {also}"), {**params, **span_params(period), "today": today}


async def client_figures(db: Database, client_id: int, period: Period, today: date) -> Figures:
    """One client's figures: read once for the client page's cards asking at the same moment (its
    revenue, and for admins its margin)."""
    key = ("client figures", client_id, period.key(), today)
    return await read_once(db, key, lambda: _read_client_figures(db, client_id, period, today))


async def _read_client_figures(db: Database, client_id: int, period: Period, today: date) -> Figures:
    sql, params = figures_cte(ClientScope(client_id=client_id), period, today)
    row = await db.fetch_one(sql + "SELECT * FROM figures", **params)
    return Figures() if row is None else Figures.from_row(row)


async def scope_totals(db: Database, scope: ClientScope, period: Period, today: date) -> PeriodTotals:
    """Totals of the clients in scope. Several cards need the same totals at the same moment (revenue,
    hours, revenue per client): they share one computation."""
    key = ("totals", scope.key(), period.key(), today)
    return await read_once(db, key, lambda: _scope_totals(db, scope, period, today))


async def _scope_totals(db: Database, scope: ClientScope, period: Period, today: date) -> PeriodTotals:
    if scope.statuses_only:
        return await status_totals.scope_totals(db, scope, period)
    sql, params = figures_cte(scope, period, today)
    row = await db.fetch_one(sql + _TOTALS_SELECT, **params)
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return PeriodTotals(*(int(row[name]) for name in PERIOD_COLUMNS))


@dataclass(frozen=True)
class Mrr:
    mrr_cents: int
    paying_clients: int


async def scope_mrr(db: Database, scope: ClientScope, today: date) -> Mrr:
    """MRR of the clients in scope on `today`, and how many of them pay it."""
    where, params = scope.where()
    # All clients: the services alone (every service has its client), read from their index.
    services = (
        "services s WHERE" if scope.everyone else f"services s JOIN clients c ON c.id = s.client_id WHERE {where} AND"
    )
    row = await db.fetch_one(
        "SELECT COALESCE(SUM(dated_value(s.monthly_price_cents, s.price_changes, :today)), 0) AS mrr,"
        " count(DISTINCT s.client_id) AS paying "
        f"FROM {services} s.kind = 'recurring' "
        "AND s.start_date <= :today AND (s.end_date IS NULL OR s.end_date >= :today)",
        **params,
        today=today,
    )
    assert row is not None
    return Mrr(int(row["mrr"]), int(row["paying"]))


_MONTHLY_SQL = """
WITH scope AS NOT MATERIALIZED (SELECT c.id FROM clients c WHERE {where}),
months AS (
    SELECT generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month')::date AS month),
recurring AS (
    -- A month's price: the one in effect on its first day of service (prices change at month starts).
    SELECT m.month, SUM(dated_value(s.monthly_price_cents, s.price_changes, GREATEST(m.month, s.start_date))) AS cents
    FROM months m
    JOIN services s ON s.kind = 'recurring'
        AND s.start_date <= (m.month + interval '1 month' - interval '1 day')::date
        AND (s.end_date IS NULL OR s.end_date >= m.month)
    JOIN scope ON scope.id = s.client_id
    GROUP BY m.month),
one_off AS (
    SELECT date_trunc('month', s.start_date)::date AS month, SUM(s.fixed_price_cents) AS cents
    FROM services s JOIN scope ON scope.id = s.client_id
    WHERE s.kind = 'one_off' AND s.start_date BETWEEN :first AND :last_day
    GROUP BY 1),
hourly AS (
    SELECT r.month, SUM(r.amount_cents) AS cents
    FROM client_month_entries r JOIN scope ON scope.id = r.client_id
    WHERE r.month BETWEEN :first AND :last
    GROUP BY 1)
SELECT m.month, COALESCE(recurring.cents, 0) AS recurring_cents, COALESCE(one_off.cents, 0) AS one_off_cents,
       COALESCE(hourly.cents, 0) AS hourly_cents
FROM months m
LEFT JOIN recurring ON recurring.month = m.month
LEFT JOIN one_off ON one_off.month = m.month
LEFT JOIN hourly ON hourly.month = m.month
ORDER BY m.month
"""


async def monthly_revenue(db: Database, scope: ClientScope, first: Month, last: Month) -> list[MonthRevenue]:
    """Revenue of the clients in scope for each calendar month first..last, oldest first."""
    if scope.statuses_only:
        return await status_totals.monthly_revenue(db, scope, first, last)
    where, params = scope.where()
    rows = await db.fetch_all(
        _MONTHLY_SQL.format(where=where),
        **params,
        first=first.first_day,
        last=last.first_day,
        last_day=last.last_day,
    )
    return [
        MonthRevenue(
            month=Month.of(row["month"]),
            recurring_cents=int(row["recurring_cents"]),
            one_off_cents=int(row["one_off_cents"]),
            hourly_cents=int(row["hourly_cents"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ClientMonths:
    """A client row's figures: the period's, and the revenue of the twelve months ending with it."""

    figures: Figures
    series: list[MonthRevenue]


async def client_months(
    db: Database, client_ids: Sequence[int], period: Period, today: date
) -> dict[int, ClientMonths]:
    """Figures and monthly revenue of several clients (for batched client rows): their months read
    from the rollups by client id, in one query, and their MRR in another."""
    in_period = period_months(period)
    # The twelve months of the series, or more when the period is longer: both end with its month.
    months = trailing_months(Month.of(period.end), max(12, len(in_period or ())))
    # Before the first month only recurring changes are read (they carry on into it), and they are
    # summed into it; a row of the view holds one kind of amount, so no other amount comes along.
    read_months = db.fetch_all(
        "SELECT client_id, GREATEST(month, :first) AS month, SUM(recurring_change_cents)::bigint, "
        "SUM(one_off_cents)::bigint, SUM(hourly_cents)::bigint, SUM(billable_minutes)::bigint, SUM(minutes)::bigint "
        "FROM client_month_contributions WHERE client_id = ANY(:ids) AND month <= :last "
        "AND (month >= :first OR recurring_change_cents <> 0) GROUP BY 1, 2",
        ids=list(client_ids),
        first=months[0].first_day,
        last=months[-1].first_day,
    )
    # A period of whole months sums its months and needs the MRR alone; one that cuts a month comes
    # whole, MRR included, from the figures CTE. Either query runs beside the months' read.
    mrr: dict[int, int] = {}
    cut: dict[int, Figures] = {}
    if in_period:
        rows, mrr = await asyncio.gather(read_months, _clients_mrr(db, client_ids, today))
    else:
        rows, cut = await asyncio.gather(read_months, clients_figures(db, client_ids, period, today))
    changes: dict[int, list[MonthChanges]] = {client_id: [] for client_id in client_ids}
    for row in rows:
        changes[row["client_id"]].append(tuple(row.values()))
    days = [m.first_day for m in months]
    series_months = months[-12:]
    result = {}
    for client_id, client_changes in changes.items():
        totals = monthly_totals(client_changes, days)
        if in_period:
            figures = Figures(*column_sums(totals[-len(in_period) :]), mrr_cents=mrr.get(client_id, 0))
        else:
            figures = cut.get(client_id, Figures())
        series = list(map(month_revenue, series_months, totals[-12:]))
        result[client_id] = ClientMonths(figures, series)
    return result


async def _clients_mrr(db: Database, client_ids: Sequence[int], today: date) -> dict[int, int]:
    rows = await db.fetch_all(
        "SELECT client_id, SUM(dated_value(monthly_price_cents, price_changes, :today)) AS mrr FROM services"
        " WHERE client_id = ANY(:ids) "
        "AND kind = 'recurring' AND start_date <= :today AND (end_date IS NULL OR end_date >= :today) "
        "GROUP BY client_id",
        ids=list(client_ids),
        today=today,
    )
    return {r["client_id"]: int(r["mrr"]) for r in rows}


async def clients_figures(db: Database, client_ids: Sequence[int], period: Period, today: date) -> dict[int, Figures]:
    """Figures of several clients for the period, in one query."""
    sql, params = figures_cte(ClientScope(client_ids=tuple(client_ids)), period, today)
    return {
        row["client_id"]: Figures.from_row(row) for row in await db.fetch_all(sql + "SELECT * FROM figures", **params)
    }
