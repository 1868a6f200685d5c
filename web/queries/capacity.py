"""Capacity: the hours a week each person is there to work, from a date on, and utilization,
billable hours ÷ capacity (issue #20; defined in README, "What the figures mean").

A week's capacity is spread evenly over Monday to Friday, so a period holds a person's weekly
minutes × its weekdays ÷ 5, each weekday at the capacity in effect on it (summed in SQL:
weekdays_between, migration 0015). Public holidays and leave are not known here: they show as
lower utilization, which is what they are."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from web.db import Database
from web.forms import MAX_WEEK_MINUTES
from web.periods import Period
from web.queries import figures
from web.queries.scope import ClientScope

DEFAULT_WEEKLY_MINUTES = 40 * 60  # what a new account starts with
WORKDAYS = 5


@dataclass(frozen=True)
class CapacityChange:
    """From `from_date` on (until the person's next change), `weekly_minutes` a week."""

    user_id: int
    from_date: date
    weekly_minutes: int


def whole_minutes(minutes: Fraction) -> int:
    """To the minute, half up: capacity is exact (37:31 h a week over three days is 1,350.6 minutes),
    what is shown is whole minutes."""
    return int((minutes + Fraction(1, 2)) // 1)


def utilization(billable_minutes: int, capacity: Fraction) -> Decimal | None:
    """Billable ÷ capacity in percent, one decimal, half up; None without capacity."""
    if capacity == 0:
        return None
    exact = Decimal(billable_minutes * 100 * capacity.denominator) / capacity.numerator
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Utilization:
    billable_minutes: int
    capacity_minutes: int  # to the minute
    percent: Decimal | None  # billable / capacity; None without capacity

    @classmethod
    def of(cls, billable_minutes: int, capacity: Fraction) -> Utilization:
        return cls(billable_minutes, whole_minutes(capacity), utilization(billable_minutes, capacity))


def utilization_span(period: Period, today: date) -> Period:
    """The days utilization covers: while the period is in progress, its days so far (capacity up
    to today, as hours are logged up to today)."""
    return period.so_far(today) if period.in_progress(today) else period


async def team_utilization(db: Database, span: Period, today: date) -> Utilization:
    """Billable hours on every client over everyone's capacity."""
    team, totals = await asyncio.gather(
        team_capacity(db, span.start, span.end), figures.scope_totals(db, ClientScope(), span, today)
    )
    return Utilization.of(totals.billable_minutes, team)


async def capacity_changes(db: Database, user_id: int | None = None) -> dict[int, list[CapacityChange]]:
    """Every change, by person, in date order (a few rows per person: read whole)."""
    rows = await db.fetch_all(
        "SELECT user_id, from_date, weekly_minutes FROM user_capacity"
        " WHERE CAST(:user_id AS bigint) IS NULL OR user_id = :user_id ORDER BY user_id, from_date",
        user_id=user_id,
    )
    changes: dict[int, list[CapacityChange]] = {}
    for row in rows:
        changes.setdefault(row["user_id"], []).append(CapacityChange(**row))
    return changes


# Each person's capacity over :first..:last in minutes times five (weekly minutes x weekdays): each
# change holds until the day before the person's next (LEAST and GREATEST ignore the last's NULL).
_CAPACITY_SQL = """
SELECT user_id,
       SUM(weekly_minutes::bigint * weekdays_between(GREATEST(from_date, :first), LEAST(until, :last))) AS five
FROM (SELECT user_id, from_date, weekly_minutes,
             lead(from_date) OVER (PARTITION BY user_id ORDER BY from_date) - 1 AS until
      FROM user_capacity WHERE CAST(:user_ids AS bigint[]) IS NULL OR user_id = ANY(:user_ids)) changes
WHERE from_date <= :last AND (until IS NULL OR until >= :first)
GROUP BY user_id
"""


async def capacities(db: Database, first: date, last: date, user_ids: Sequence[int]) -> dict[int, Fraction]:
    """These people's capacity over first..last, in minutes; those without capacity in it are left out."""
    rows = await db.fetch_all(_CAPACITY_SQL, first=first, last=last, user_ids=list(user_ids))
    return {row["user_id"]: Fraction(int(row["five"]), WORKDAYS) for row in rows}


async def team_capacity(db: Database, first: date, last: date) -> Fraction:
    """Everyone's capacity over first..last, in minutes, summed by the database: 7,500 people's
    fractions made and added in Python take 10 ms of the event loop (measured here)."""
    five = await db.fetch_val(
        f"SELECT COALESCE(SUM(five), 0) FROM ({_CAPACITY_SQL}) people", first=first, last=last, user_ids=None
    )
    return Fraction(int(five), WORKDAYS)


async def set_capacity(db: Database, user_id: int, from_date: date, weekly_minutes: int) -> int | None:
    """The person's capacity from `from_date` on (until their next change, if one is later); returns
    the weekly minutes in effect on that day before, or None if there were none. Writes nothing when
    that is already the capacity. The caller holds the transaction and bumps the cache versions."""
    if not 0 <= weekly_minutes <= MAX_WEEK_MINUTES:
        raise ValueError("a week holds 0 to 168 hours")
    before = await weekly_minutes_on(db, user_id, from_date)
    if before == weekly_minutes:
        return before
    await db.execute(
        "INSERT INTO user_capacity (user_id, from_date, weekly_minutes) VALUES (:user_id, :from_date, :minutes)"
        " ON CONFLICT (user_id, from_date) DO UPDATE SET weekly_minutes = EXCLUDED.weekly_minutes",
        user_id=user_id,
        from_date=from_date,
        minutes=weekly_minutes,
    )
    return before


async def weekly_minutes_on(db: Database, user_id: int, day: date) -> int | None:
    minutes = await db.fetch_val(
        "SELECT weekly_minutes FROM user_capacity WHERE user_id = :user_id AND from_date <= :day"
        " ORDER BY from_date DESC LIMIT 1",
        user_id=user_id,
        day=day,
    )
    return None if minutes is None else int(minutes)


async def last_working_capacity(db: Database, user_id: int) -> int:
    """The person's latest capacity above zero (what an account enabled again returns to)."""
    minutes = await db.fetch_val(
        "SELECT weekly_minutes FROM user_capacity WHERE user_id = :user_id AND weekly_minutes > 0"
        " ORDER BY from_date DESC LIMIT 1",
        user_id=user_id,
    )
    return DEFAULT_WEEKLY_MINUTES if minutes is None else int(minutes)
