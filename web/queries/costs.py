"""Cost rates and what time costs (issue #20, migration 0018): admins only.

An entry's cost is its minutes / 60 x the cost rate of its person on its day, rounded half up to the
cent (as its amount is); time of a person without a cost rate costs nothing and is counted apart, so
that the pages can say how much of it there is. Gross margin = revenue - cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from web.db import Database
from web.periods import Period
from web.queries.totals import span_params


@dataclass(frozen=True)
class CostRate:
    since: date
    cents: int


@dataclass(frozen=True)
class Cost:
    cost_cents: int
    uncosted_minutes: int  # logged by people without a cost rate on its day


@dataclass(frozen=True)
class Margin:
    revenue_cents: int
    cost_cents: int

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.cost_cents

    @property
    def percent(self) -> Decimal | None:
        """Gross margin as a share of revenue, to a tenth of a percent; None without revenue."""
        if not self.revenue_cents:
            return None
        return (Decimal(100 * self.margin_cents) / self.revenue_cents).quantize(Decimal("0.1"), ROUND_HALF_UP)


async def cost_rates(db: Database, user_ids: list[int]) -> dict[int, list[CostRate]]:
    """Each person's cost rates over time, first to last."""
    rows = await db.fetch_all(
        "SELECT user_id, from_date, cents FROM user_cost_rates WHERE user_id = ANY(:ids) ORDER BY user_id, from_date",
        ids=user_ids,
    )
    rates: dict[int, list[CostRate]] = {}
    for r in rows:
        rates.setdefault(r["user_id"], []).append(CostRate(r["from_date"], int(r["cents"])))
    return rates


async def set_cost_rate(db: Database, user_id: int, since: date, cents: int) -> int | None:
    """A person's cost rate from `since` on (one of the same day is replaced), in the caller's
    transaction, which bumps the cache versions; their time logged for that day and later is costed
    again. Returns the cost rate in effect on that day before (None: none); writes nothing when it
    is already the one."""
    before = await db.fetch_val(
        "SELECT cents FROM user_cost_rates WHERE user_id = :id AND from_date <= :since ORDER BY from_date DESC LIMIT 1",
        id=user_id,
        since=since,
    )
    if before == cents:
        return int(before)
    await db.execute(
        "INSERT INTO user_cost_rates (user_id, from_date, cents) VALUES (:id, :since, :cents)"
        " ON CONFLICT (user_id, from_date) DO UPDATE SET cents = EXCLUDED.cents",
        id=user_id,
        since=since,
        cents=cents,
    )
    await db.execute(
        "UPDATE timesheet_entries SET cost_rate_cents = cost_rate_on(user_id, work_date)"
        " WHERE user_id = :id AND work_date >= :since AND cost_rate_cents <> cost_rate_on(user_id, work_date)",
        id=user_id,
        since=since,
    )
    return None if before is None else int(before)


# A client's cost over a period: whole months from the rollup, the days of cut months from entries.
_CLIENT_COST_SQL = """
SELECT COALESCE(SUM(cost), 0) AS cost_cents, COALESCE(SUM(uncosted), 0) AS uncosted_minutes FROM (
    SELECT cost_cents AS cost, uncosted_minutes AS uncosted FROM client_month_costs
    WHERE client_id = {client} AND month BETWEEN :full_first AND :full_last
    UNION ALL
    SELECT entry_cost_cents(minutes, cost_rate_cents), CASE WHEN cost_rate_cents = 0 THEN minutes ELSE 0 END
    FROM timesheet_entries
    WHERE client_id = {client} AND work_date BETWEEN :start AND :end
      AND (work_date < :full_first OR work_date > :full_last_day)
) parts
"""


def client_cost_sql(client: str) -> str:
    """One row, cost_cents and uncosted_minutes, of the client `client` (an SQL expression) over the
    period of span_params (:start, :end, :full_first, :full_last, :full_last_day)."""
    return _CLIENT_COST_SQL.format(client=client)


async def client_cost(db: Database, client_id: int, period: Period) -> Cost:
    row = await db.fetch_one(client_cost_sql(":client"), client=client_id, **span_params(period))
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return Cost(int(row["cost_cents"]), int(row["uncosted_minutes"]))


async def clients_costs(db: Database, client_ids: list[int], period: Period) -> dict[int, Cost]:
    """The cost of each of some clients (a page of the list) over the period, in one query."""
    rows = await db.fetch_all(
        f"SELECT i.id, cost.cost_cents, cost.uncosted_minutes FROM unnest(CAST(:ids AS bigint[])) AS i (id)"
        f" CROSS JOIN LATERAL ({client_cost_sql('i.id')}) cost",
        ids=client_ids,
        **span_params(period),
    )
    return {r["id"]: Cost(int(r["cost_cents"]), int(r["uncosted_minutes"])) for r in rows}
