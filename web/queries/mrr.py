"""MRR movements (issue #20): how the monthly recurring revenue of the clients in scope moved from
one month to the next, as ChartMogul and Baremetrics break it down.

A client's MRR of a month is what its retainers bill in that month (each at the price in effect in
it, migration 0012), so the MRR of a month is the recurring revenue the dashboard's trend shows for
it. From one month to the next, a client whose MRR changed is counted once, as:
  * new: from zero, and it never had MRR before;
  * reactivation: from zero, having had MRR in an earlier month;
  * expansion: up, from more than zero;
  * contraction: down, to more than zero;
  * churn: down to zero (the MRR it had).
Starting MRR is the MRR of the month before; ending MRR = starting + new + reactivation + expansion
- contraction - churn, which is the month's MRR; net new MRR = ending - starting. For a period of
several months, starting is the first month's, ending the last's, and the movements add up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from web.db import Database
from web.periods import Month, trailing_months
from web.queries.scope import ClientScope
from web.queries.totals import months_between


@dataclass(frozen=True)
class Movements:
    starting_cents: int
    new_cents: int = 0
    reactivation_cents: int = 0
    expansion_cents: int = 0
    contraction_cents: int = 0
    churn_cents: int = 0

    @property
    def ending_cents(self) -> int:
        return self.starting_cents + self.net_new_cents

    @property
    def net_new_cents(self) -> int:
        gained = self.new_cents + self.reactivation_cents + self.expansion_cents
        return gained - self.contraction_cents - self.churn_cents


@dataclass(frozen=True)
class MonthMovements:
    month: Month
    movements: Movements


def over(months: Sequence[MonthMovements]) -> Movements:
    """A period's movements: its first month's starting MRR, and every month's movements added up."""
    return Movements(
        months[0].movements.starting_cents,
        *(sum(getattr(m.movements, kind) for m in months) for kind in KINDS),
    )


KINDS = ("new_cents", "reactivation_cents", "expansion_cents", "contraction_cents", "churn_cents")

# Each client's MRR after each month it changed (client_month_recurring, migration 0014), and which
# of its changes this is: the first is always a start (a client's MRR begins at zero and a retainer
# adds before it takes off), so it is new; a later one from zero is a reactivation. One window,
# one sort. Then the changes of each month, by kind.
_MOVEMENTS_SQL = """
WITH series AS (
    SELECT r.month, r.change_cents, SUM(r.change_cents) OVER w AS after_cents, row_number() OVER w AS nth
    FROM client_month_recurring r {scope}
    WHERE r.month <= :last
    WINDOW w AS (PARTITION BY r.client_id ORDER BY r.month)),
moves AS (SELECT month, after_cents - change_cents AS before_cents, after_cents, nth FROM series)
SELECT month,
       COALESCE(SUM(after_cents) FILTER (WHERE nth = 1 AND after_cents > 0), 0) AS new_cents,
       COALESCE(SUM(after_cents) FILTER (WHERE nth > 1 AND before_cents = 0 AND after_cents > 0), 0)
           AS reactivation_cents,
       COALESCE(SUM(after_cents - before_cents) FILTER (WHERE before_cents > 0 AND after_cents > before_cents), 0)
           AS expansion_cents,
       COALESCE(SUM(before_cents - after_cents)
                FILTER (WHERE before_cents > 0 AND after_cents > 0 AND after_cents < before_cents), 0)
           AS contraction_cents,
       COALESCE(SUM(before_cents) FILTER (WHERE before_cents > 0 AND after_cents = 0), 0) AS churn_cents
FROM moves WHERE month >= :first
GROUP BY month
"""


async def mrr_movements(db: Database, scope: ClientScope, first: Month, last: Month) -> list[MonthMovements]:
    """The movements of each month first..last, oldest first."""
    where, params = scope.where()
    # All clients: the table alone (every row has its client).
    clients = "" if scope.everyone else f"JOIN clients c ON c.id = r.client_id AND {where}"
    rows, starting = await asyncio.gather(
        db.fetch_all(_MOVEMENTS_SQL.format(scope=clients), **params, first=first.first_day, last=last.first_day),
        db.fetch_val(
            f"SELECT COALESCE(SUM(r.change_cents), 0) FROM client_month_recurring r {clients} WHERE r.month < :first",
            **params,
            first=first.first_day,
        ),
    )
    by_month = {row["month"]: row for row in rows}
    result, mrr = [], int(starting)
    for month in trailing_months(last, months_between(first.first_day, last.first_day)):
        row = by_month.get(month.first_day)
        moved = Movements(mrr, *(int(row[kind]) for kind in KINDS)) if row else Movements(mrr)
        result.append(MonthMovements(month, moved))
        mrr = moved.ending_cents
    return result
