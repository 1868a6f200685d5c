"""Revenue, MRR and hours: the one definition of every figure Billable shows.

Revenue of a client for a period (days start..end, both included) is the sum of
  * recurring services: the monthly price for every calendar month of the period in which the
    service was active on at least one day of the period;
  * one-off services whose date (start_date) falls in the period;
  * billable time entries in the period, each minutes / 60 x rate rounded half up to the cent.
MRR is the sum of monthly prices of recurring services active today.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple, TypeVar

from web.db import Database, Row
from web.db import versions as cache_versions
from web.periods import Month, Period, trailing_months
from web.queries.scope import ClientScope

T = TypeVar("T")


@dataclass(frozen=True)
class PeriodTotals:
    recurring_cents: int = 0
    one_off_cents: int = 0
    hourly_cents: int = 0
    billable_minutes: int = 0
    minutes: int = 0

    @property
    def revenue_cents(self) -> int:
        return self.recurring_cents + self.one_off_cents + self.hourly_cents


@dataclass(frozen=True)
class Figures(PeriodTotals):
    """A client's figures: its period totals, and its MRR today."""

    mrr_cents: int = 0

    @classmethod
    def from_row(cls, row: Row) -> Figures:
        return cls(**{name: int(row[name]) for name in _FIGURE_COLUMNS})


@dataclass(frozen=True)
class ScopeTotals:
    figures: PeriodTotals  # MRR is not a period figure: see scope_mrr
    clients: int
    active_clients: int
    active_revenue_cents: int


class MonthRevenue(NamedTuple):
    """One month of revenue. A tuple rather than a frozen dataclass: a page of client rows makes 600
    of them, and a frozen dataclass's constructor cost more than the query that read them."""

    month: Month
    recurring_cents: int
    one_off_cents: int
    hourly_cents: int

    @property
    def revenue_cents(self) -> int:
        return self.recurring_cents + self.one_off_cents + self.hourly_cents


_PERIOD_COLUMNS = ("recurring_cents", "one_off_cents", "hourly_cents", "billable_minutes", "minutes")
_FIGURE_COLUMNS = (*_PERIOD_COLUMNS, "mrr_cents")

# One row per client in scope with its figures for :start..:end and its MRR on :today.
_FIGURES_SQL = """
WITH scope AS NOT MATERIALIZED (SELECT c.id, c.status FROM clients c WHERE {where}),
recurring AS (
    SELECT s.client_id,
           SUM(s.monthly_price_cents * months_touched(GREATEST(s.start_date, :start),
                                                      LEAST(COALESCE(s.end_date, :end), :end))) AS cents
    FROM services s JOIN scope ON scope.id = s.client_id
    WHERE s.kind = 'recurring' AND s.start_date <= :end AND (s.end_date IS NULL OR s.end_date >= :start)
    GROUP BY s.client_id),
mrr AS (
    SELECT s.client_id, SUM(s.monthly_price_cents) AS cents
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
       COALESCE(SUM(minutes), 0) AS minutes,
       count(*) AS clients,
       count(*) FILTER (WHERE status = 'active') AS active_clients,
       COALESCE(SUM(recurring_cents + one_off_cents + hourly_cents) FILTER (WHERE status = 'active'), 0)
           AS active_revenue_cents
FROM figures
"""

# Sort orders of the client list that need figures; name order needs none (see clients.py).
FIGURE_SORTS = {
    "revenue": "recurring_cents + one_off_cents + hourly_cents",
    "mrr": "mrr_cents",
    "hours": "billable_minutes",  # the figure the Hours column shows first
}


def list_order(sort: str, descending: bool) -> str:
    """The client list's ORDER BY (clients as c, figures as f): the dashboard and its export agree,
    ties included."""
    direction = "DESC" if descending else "ASC"
    if sort == "name":
        return f"lower(c.name) {direction}, c.id {direction}"
    return f"{FIGURE_SORTS[sort]} {direction}, lower(c.name), c.id"


def figures_cte(scope: ClientScope, period: Period, today: date) -> tuple[str, dict[str, Any]]:
    """The `figures` CTE (one row per client in scope) and its parameters, for composing queries."""
    where, params = scope.where()
    return _FIGURES_SQL.format(where=where), {**params, **_span_params(period), "today": today}


def _span_params(period: Period) -> dict[str, date]:
    """The period's days, and which of them the monthly rollups answer (see _whole_months)."""
    full_first, full_last_day = _whole_months(period)
    return {
        "start": period.start,
        "end": period.end,
        "full_first": full_first,
        # With no whole month, last < first keeps the rollup out entirely.
        "full_last": Month.of(full_last_day).first_day if full_first <= full_last_day else full_last_day,
        "full_last_day": full_last_day,
    }


def _whole_months(period: Period) -> tuple[date, date]:
    """The first and last day of the calendar months lying wholly inside the period; when there are
    none, an empty range (first > last) that sends every day of the period to the entries."""
    first = period.start if period.start.day == 1 else Month.of(period.start).plus(1).first_day
    last = period.end if period.end == Month.of(period.end).last_day else Month.of(period.end).plus(-1).last_day
    if first > last:
        return period.end + timedelta(days=1), period.start - timedelta(days=1)
    return first, last


async def client_figures(db: Database, client_id: int, period: Period, today: date) -> Figures:
    sql, params = figures_cte(ClientScope(client_id=client_id), period, today)
    row = await db.fetch_one(sql + "SELECT * FROM figures", **params)
    return Figures() if row is None else Figures.from_row(row)


_in_flight: dict[tuple[object, ...], asyncio.Task[Any]] = {}


async def _shared(key: tuple[object, ...], compute: Callable[[], Awaitable[T]]) -> T:
    """Single flight: callers asking with the same key while a computation runs wait for it instead
    of running the same query again. The key carries the write generation, so a request made after
    a write never joins a computation started before it."""
    key = (*key, cache_versions.generation())
    task = _in_flight.get(key)
    if task is None:
        task = asyncio.ensure_future(compute())
        _in_flight[key] = task
        task.add_done_callback(lambda _: _in_flight.pop(key, None))
    result: T = await asyncio.shield(task)
    return result


async def scope_totals(db: Database, scope: ClientScope, period: Period, today: date) -> ScopeTotals:
    """Totals of the clients in scope. Several cards need the same totals at the same moment (revenue,
    hours, revenue per client): they share one computation."""
    key = ("totals", id(db), scope.key(), period.key(), today)
    return await _shared(key, lambda: _scope_totals(db, scope, period, today))


async def _scope_totals(db: Database, scope: ClientScope, period: Period, today: date) -> ScopeTotals:
    if scope.statuses_only:
        return await _scope_totals_by_status(db, scope, period)
    sql, params = figures_cte(scope, period, today)
    row = await db.fetch_one(sql + _TOTALS_SELECT, **params)
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return ScopeTotals(
        figures=PeriodTotals(*(int(row[name]) for name in _PERIOD_COLUMNS)),
        clients=int(row["clients"]),
        active_clients=int(row["active_clients"]),
        active_revenue_cents=int(row["active_revenue_cents"]),
    )


# Month rollups: the status totals of migration 0006 (all clients, or those of one status: a few
# hundred rows at any scale, where the figures CTE reads every client), and each client's months
# from the client_month_contributions view over the entry rollup and the services. Both store
# recurring revenue as changes (see the migration); _monthly_totals turns changes into months.


# A month of a rollup as read, a row of _CHANGES: (owner: the status or the client id, month: its first
# day, recurring change: monthly prices starting this month minus those that ended last month, one-off
# cents, hourly cents, billable minutes, minutes). Rows as asyncpg gives them: thousands are read for
# a page of client rows, and a dataclass each cost more than the query.
_MonthChanges = tuple[Any, ...]
_CHANGES = "month, recurring_change_cents, one_off_cents, hourly_cents, billable_minutes, minutes"


# A month's totals, in the order of PeriodTotals' fields. Plain tuples: a page of rows makes 600.
_Totals = tuple[int, int, int, int, int]


def _monthly_totals(changes: list[_MonthChanges], months: list[date]) -> list[_Totals]:
    """The totals of each of these consecutive months (their first days): a recurring change counts
    in every month from the one it happens in; changes after the last month are left out."""
    first = months[0]
    recurring = 0
    sums: dict[date, list[int]] = {}
    for _, month, change, one_off, hourly, billable, minutes in changes:
        if month < first:
            recurring += change
            continue
        sum_ = sums.setdefault(month, [0, 0, 0, 0, 0])
        sum_[0] += change
        sum_[1] += one_off
        sum_[2] += hourly
        sum_[3] += billable
        sum_[4] += minutes
    totals: list[_Totals] = []
    for m in months:
        change, one_off, hourly, billable, minutes = sums.get(m, _NO_CHANGE)
        recurring += change
        totals.append((recurring, one_off, hourly, billable, minutes))
    return totals


_NO_CHANGE = (0, 0, 0, 0, 0)


def _column_sums(totals: list[_Totals]) -> _Totals:
    return tuple(map(sum, zip(*totals, strict=True))) if totals else _NO_CHANGE  # type: ignore[return-value]


def _months_between(first: date, last: date) -> int:
    """Calendar months first..last, both first days of months (0 when first > last)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def _month_revenue(month: Month, totals: _Totals) -> MonthRevenue:
    recurring, one_off, hourly, _, _ = totals
    return MonthRevenue(month, recurring, one_off, hourly)


def _period_months(period: Period) -> list[Month] | None:
    """The calendar months of a period of whole months; None when it cuts a month."""
    count = period.whole_months
    return None if count is None else trailing_months(Month.of(period.end), count)


async def _status_months(db: Database, scope: ClientScope) -> list[_MonthChanges]:
    """Every month of the status totals (a few hundred rows), read once for the cards that need them
    at the same moment: revenue now and before, hours, average revenue and the trend."""
    return await _shared(("status months", id(db), scope.status), lambda: _read_status_months(db, scope))


async def _read_status_months(db: Database, scope: ClientScope) -> list[_MonthChanges]:
    rows = await db.fetch_all(
        f"SELECT status, {_CHANGES} FROM status_month_totals WHERE CAST(:status AS text) IS NULL OR status = :status",
        status=scope.status,
    )
    return [tuple(r.values()) for r in rows]


async def _scope_totals_by_status(db: Database, scope: ClientScope, period: Period) -> ScopeTotals:
    """Totals from the status totals: the months the period touches, read once for every card, and
    for a period that cuts a month (so far this month, the same days of the month before, a custom
    range) one small query for what its cut days change."""
    changes, counts, cut = await asyncio.gather(
        _status_months(db, scope), _client_counts(db, scope), _cut_days_by_status(db, scope, period)
    )
    active = _months_by_status([c for c in changes if c[0] == "active"], period)
    return ScopeTotals(
        figures=_plus(_months_by_status(changes, period), *cut.values()),
        clients=counts[0],
        active_clients=counts[1],
        active_revenue_cents=_plus(active, cut.get("active", _NO_CHANGE)).revenue_cents,
    )


def _months_by_status(changes: list[_MonthChanges], period: Period) -> _Totals:
    """From the monthly rows: recurring revenue of every month the period touches, everything else
    of the months it holds whole (its cut days come from _cut_days_by_status)."""
    first, last = Month.of(period.start), Month.of(period.end)
    touched = [m.first_day for m in trailing_months(last, _months_between(first.first_day, last.first_day))]
    totals = _monthly_totals(changes, touched)
    full_first, full_last_day = _whole_months(period)
    _, one_off, hourly, billable, minutes = _column_sums(
        [t for day, t in zip(touched, totals, strict=True) if full_first <= day <= full_last_day]
    )
    return sum(t[0] for t in totals), one_off, hourly, billable, minutes


def _plus(*totals: _Totals) -> PeriodTotals:
    return PeriodTotals(*_column_sums(list(totals)))


# What the days of a period's cut months change in the monthly totals, per client status: the
# hours and one-offs of those days (hours from the day totals of migration 0010), and, taken off,
# the retainers of its first and last month that ended before its first day or began after its
# last (the figures CTE counts a retainer in a month only when it was active on a day of the period).
_CUT_DAYS_SQL = """
SELECT status, COALESCE(SUM(recurring), 0) AS recurring_cents, COALESCE(SUM(one_off), 0) AS one_off_cents,
       COALESCE(SUM(hourly), 0) AS hourly_cents, COALESCE(SUM(billable), 0) AS billable_minutes,
       COALESCE(SUM(minutes), 0) AS minutes
FROM (
    SELECT c.status, -s.monthly_price_cents AS recurring, 0 AS one_off, 0 AS hourly, 0 AS billable, 0 AS minutes
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


async def _cut_days_by_status(db: Database, scope: ClientScope, period: Period) -> dict[str, _Totals]:
    if period.whole_months:
        return {}
    one_day = timedelta(days=1)
    span = _span_params(period)
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
    return {row["status"]: tuple(int(row[name]) for name in _PERIOD_COLUMNS) for row in rows}  # type: ignore[misc]


async def _client_counts(db: Database, scope: ClientScope) -> tuple[int, int]:
    """Clients in scope, and how many of them are active: one read for every card asking at once."""
    return await _shared(("counts", id(db), scope.key()), lambda: _read_client_counts(db, scope))


async def _read_client_counts(db: Database, scope: ClientScope) -> tuple[int, int]:
    where, params = scope.where()
    row = await db.fetch_one(
        "SELECT count(*) AS clients, count(*) FILTER (WHERE c.status = 'active') AS active "
        f"FROM clients c WHERE {where}",
        **params,
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return int(row["clients"]), int(row["active"])


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
        "SELECT COALESCE(SUM(s.monthly_price_cents), 0) AS mrr, count(DISTINCT s.client_id) AS paying "
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
    SELECT m.month, SUM(s.monthly_price_cents) AS cents
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
        months = trailing_months(last, _months_between(first.first_day, last.first_day))
        if not months:
            return []
        totals = _monthly_totals(await _status_months(db, scope), [m.first_day for m in months])
        return [_month_revenue(m, t) for m, t in zip(months, totals, strict=True)]
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
    in_period = _period_months(period)
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
    changes: dict[int, list[_MonthChanges]] = {client_id: [] for client_id in client_ids}
    for row in rows:
        changes[row["client_id"]].append(tuple(row.values()))
    days = [m.first_day for m in months]
    series_months = months[-12:]
    result = {}
    for client_id, client_changes in changes.items():
        totals = _monthly_totals(client_changes, days)
        if in_period:
            figures = Figures(*_column_sums(totals[-len(in_period) :]), mrr_cents=mrr.get(client_id, 0))
        else:
            figures = cut.get(client_id, Figures())
        series = list(map(_month_revenue, series_months, totals[-12:]))
        result[client_id] = ClientMonths(figures, series)
    return result


async def _clients_mrr(db: Database, client_ids: Sequence[int], today: date) -> dict[int, int]:
    rows = await db.fetch_all(
        "SELECT client_id, SUM(monthly_price_cents) AS mrr FROM services WHERE client_id = ANY(:ids) "
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
