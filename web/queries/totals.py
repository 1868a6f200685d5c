"""Totals of a period, and the arithmetic of the month rollups, which store recurring revenue as
changes (see migration 0006): what the per-client figures (web.queries.figures) and the status
totals (web.queries.status_totals) share. The definitions of the figures are in web.queries.figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple, TypeVar

from web.db import Database, Row
from web.periods import Month, Period, trailing_months

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
        return cls(**{name: int(row[name]) for name in FIGURE_COLUMNS})


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


PERIOD_COLUMNS = ("recurring_cents", "one_off_cents", "hourly_cents", "billable_minutes", "minutes")
FIGURE_COLUMNS = (*PERIOD_COLUMNS, "mrr_cents")


# A month of a rollup as read, a row of CHANGES: (owner: the status or the client id, month: its first
# day, recurring change: monthly prices starting this month minus those that ended last month, one-off
# cents, hourly cents, billable minutes, minutes). Rows as asyncpg gives them: thousands are read for
# a page of client rows, and a dataclass each cost more than the query.
MonthChanges = tuple[Any, ...]
CHANGES = "month, recurring_change_cents, one_off_cents, hourly_cents, billable_minutes, minutes"


# A month's totals, in the order of PeriodTotals' fields. Plain tuples: a page of rows makes 600.
Totals = tuple[int, int, int, int, int]


def monthly_totals(changes: list[MonthChanges], months: list[date]) -> list[Totals]:
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
    totals: list[Totals] = []
    for m in months:
        change, one_off, hourly, billable, minutes = sums.get(m, NO_CHANGE)
        recurring += change
        totals.append((recurring, one_off, hourly, billable, minutes))
    return totals


NO_CHANGE = (0, 0, 0, 0, 0)


def column_sums(totals: list[Totals]) -> Totals:
    return tuple(map(sum, zip(*totals, strict=True))) if totals else NO_CHANGE  # type: ignore[return-value]


def months_between(first: date, last: date) -> int:
    """Calendar months first..last, both first days of months (0 when first > last)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def month_revenue(month: Month, totals: Totals) -> MonthRevenue:
    recurring, one_off, hourly, _, _ = totals
    return MonthRevenue(month, recurring, one_off, hourly)


def period_months(period: Period) -> list[Month] | None:
    """The calendar months of a period of whole months; None when it cuts a month."""
    count = period.whole_months
    return None if count is None else trailing_months(Month.of(period.end), count)


def span_params(period: Period) -> dict[str, date]:
    """The period's days, and which of them the monthly rollups answer (see whole_months)."""
    full_first, full_last_day = whole_months(period)
    return {
        "start": period.start,
        "end": period.end,
        "full_first": full_first,
        # With no whole month, last < first keeps the rollup out entirely.
        "full_last": Month.of(full_last_day).first_day if full_first <= full_last_day else full_last_day,
        "full_last_day": full_last_day,
    }


def whole_months(period: Period) -> tuple[date, date]:
    """The first and last day of the calendar months lying wholly inside the period; when there are
    none, an empty range (first > last) that sends every day of the period to the entries."""
    first = period.start if period.start.day == 1 else Month.of(period.start).plus(1).first_day
    last = period.end if period.end == Month.of(period.end).last_day else Month.of(period.end).plus(-1).last_day
    if first > last:
        return period.end + timedelta(days=1), period.start - timedelta(days=1)
    return first, last


async def read_once(db: Database, key: tuple[object, ...], read: Callable[[], Awaitable[T]]) -> T:
    """`read` on `db`, shared with every caller asking with the same key while it runs, until a
    write (see Database.read_once)."""
    return await db.read_once(key, read)
