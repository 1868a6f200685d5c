"""Totals of all clients, or of the clients of one status, from the status rollups (migrations 0006
and 0010): a few hundred rows at any scale, where the per-client figures query reads every client.
tests/db/test_status_totals.py holds them to that query through every kind of write.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from web.db import Database
from web.periods import Month, Period, trailing_months
from web.queries.scope import ClientScope
from web.queries.totals import (
    CHANGES,
    PERIOD_COLUMNS,
    MonthChanges,
    MonthRevenue,
    PeriodTotals,
    Totals,
    column_sums,
    month_revenue,
    monthly_totals,
    months_between,
    read_once,
    span_params,
    whole_months,
)


async def status_months(db: Database, scope: ClientScope) -> list[MonthChanges]:
    """Every month of the status totals (a few hundred rows), read once for the cards that need them
    at the same moment: revenue now and before, hours, average revenue and the trend."""
    return await read_once(db, ("status months", scope.status), lambda: _read_status_months(db, scope))


async def _read_status_months(db: Database, scope: ClientScope) -> list[MonthChanges]:
    rows = await db.fetch_all(
        f"SELECT status, {CHANGES} FROM status_month_totals WHERE CAST(:status AS text) IS NULL OR status = :status",
        status=scope.status,
    )
    return [tuple(r.values()) for r in rows]


async def scope_totals(db: Database, scope: ClientScope, period: Period) -> PeriodTotals:
    """Totals from the status totals: the months the period touches, read once for every card, and
    for a period that cuts a month (so far this month, the same days of the month before, a custom
    range) one small query for what its cut days change."""
    changes, cut = await asyncio.gather(status_months(db, scope), _cut_days_by_status(db, scope, period))
    return _plus(_months_by_status(changes, period), *cut.values())


def _months_by_status(changes: list[MonthChanges], period: Period) -> Totals:
    """From the monthly rows: recurring revenue of every month the period touches, everything else
    of the months it holds whole (its cut days come from _cut_days_by_status)."""
    first, last = Month.of(period.start), Month.of(period.end)
    touched = [m.first_day for m in trailing_months(last, months_between(first.first_day, last.first_day))]
    totals = monthly_totals(changes, touched)
    full_first, full_last_day = whole_months(period)
    _, one_off, hourly, billable, minutes = column_sums(
        [t for day, t in zip(touched, totals, strict=True) if full_first <= day <= full_last_day]
    )
    return sum(t[0] for t in totals), one_off, hourly, billable, minutes


def _plus(*totals: Totals) -> PeriodTotals:
    return PeriodTotals(*column_sums(list(totals)))


# What the days of a period's cut months change in the monthly totals, per client status: the
# hours and one-offs of those days (hours from the day totals of migration 0010), and, taken off,
# the retainers of its first and last month that ended before its first day or began after its
# last (the figures CTE counts a retainer in a month only when it was active on a day of the period).
_CUT_DAYS_SQL = """
SELECT status, COALESCE(SUM(recurring), 0) AS recurring_cents, COALESCE(SUM(one_off), 0) AS one_off_cents,
       COALESCE(SUM(hourly), 0) AS hourly_cents, COALESCE(SUM(billable), 0) AS billable_minutes,
       COALESCE(SUM(minutes), 0) AS minutes
FROM (
    -- The price the month's rollup counted: the one in effect on the service's last (first) day.
    SELECT c.status,
           -dated_value(s.monthly_price_cents, s.price_changes,
                        CASE WHEN s.end_date BETWEEN :first_month_first AND :day_before THEN s.end_date
                             ELSE s.start_date END) AS recurring,
           0 AS one_off, 0 AS hourly, 0 AS billable, 0 AS minutes
    FROM services s JOIN clients c ON c.id = s.client_id
    WHERE s.kind = 'recurring' AND (s.end_date BETWEEN :first_month_first AND :day_before
                                    OR s.start_date BETWEEN :day_after AND :last_month_last)
    UNION ALL
    SELECT c.status, 0, s.fixed_price_cents, 0, 0, 0
    FROM services s JOIN clients c ON c.id = s.client_id
    WHERE s.kind = 'one_off' AND s.start_date BETWEEN :start AND :end
      AND (s.start_date < :full_first OR s.start_date > :full_last_day)
    UNION ALL
    SELECT status, 0, 0, amount_cents, billable_minutes, minutes
    FROM status_day_entries
    WHERE day BETWEEN :start AND :end AND (day < :full_first OR day > :full_last_day)
) parts
WHERE CAST(:status AS text) IS NULL OR status = :status
GROUP BY status
"""


async def _cut_days_by_status(db: Database, scope: ClientScope, period: Period) -> dict[str, Totals]:
    if period.whole_months:
        return {}
    one_day = timedelta(days=1)
    span = span_params(period)
    rows = await db.fetch_all(
        _CUT_DAYS_SQL,
        status=scope.status,
        start=span["start"],
        end=span["end"],
        full_first=span["full_first"],
        full_last_day=span["full_last_day"],
        first_month_first=Month.of(period.start).first_day,
        day_before=period.start - one_day,
        day_after=period.end + one_day,
        last_month_last=Month.of(period.end).last_day,
    )
    return {row["status"]: tuple(int(row[name]) for name in PERIOD_COLUMNS) for row in rows}  # type: ignore[misc]


async def monthly_revenue(db: Database, scope: ClientScope, first: Month, last: Month) -> list[MonthRevenue]:
    """Revenue of the clients in scope (all, or one status) for each calendar month first..last."""
    months = trailing_months(last, months_between(first.first_day, last.first_day))
    if not months:
        return []
    totals = monthly_totals(await status_months(db, scope), [m.first_day for m in months])
    return [month_revenue(m, t) for m, t in zip(months, totals, strict=True)]
