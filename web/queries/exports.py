"""Rows for the CSV exports, read with a cursor and shaped as plain values."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from web.db import Database
from web.money import hourly_rate_cents
from web.periods import Period
from web.queries.costs import client_cost_sql
from web.queries.figures import figures_cte, list_order
from web.queries.scope import ClientScope


async def client_rows(
    db: Database,
    scope: ClientScope,
    period: Period,
    today: date,
    *,
    sort: str = "name",
    descending: bool = False,
    costs: bool = False,
) -> AsyncGenerator[list[object], None]:
    """Every client in scope with its figures, in the dashboard list's order; with `costs` (admins
    only), its cost, gross margin and the hours logged without a cost rate after them."""
    cte, params = figures_cte(scope, period, today)
    cost = f"LEFT JOIN LATERAL ({client_cost_sql('f.client_id')}) cost ON true" if costs else ""
    sql = (
        f"{cte} SELECT c.id, c.name, c.status, u.name AS manager, f.recurring_cents, f.one_off_cents, f.hourly_cents,"
        " f.mrr_cents, f.billable_minutes, f.minutes"
        + (", cost.cost_cents, cost.uncosted_minutes" if costs else "")
        + f" FROM figures f JOIN clients c ON c.id = f.client_id {cost}"
        f" LEFT JOIN users u ON u.id = c.account_manager_id ORDER BY {list_order(sort, descending)}"
    )
    async with aclosing(db.iterate(sql, **params)) as rows:
        async for r in rows:
            revenue = r["recurring_cents"] + r["one_off_cents"] + r["hourly_cents"]
            yield [
                r["id"],
                r["name"],
                r["status"],
                r["manager"] or "",
                _cents(revenue),
                _cents(r["recurring_cents"]),
                _cents(r["one_off_cents"]),
                _cents(r["hourly_cents"]),
                _cents(r["mrr_cents"]),
                _hours(r["billable_minutes"]),
                _hours(r["minutes"]),
                "" if (rate := hourly_rate_cents(revenue, r["minutes"])) is None else _cents(rate),
            ] + (
                [_cents(r["cost_cents"]), _cents(revenue - r["cost_cents"]), _hours(r["uncosted_minutes"])]
                if costs
                else []
            )


async def entry_rows(db: Database, first: date, last: date, user_id: int | None) -> AsyncGenerator[list[object], None]:
    sql = (
        "SELECT e.work_date, u.name AS person, c.name AS client, s.name AS service, e.minutes, e.billable,"
        " e.rate_cents, e.amount_cents, e.description FROM timesheet_entries e JOIN users u ON u.id = e.user_id"
        " JOIN clients c ON c.id = e.client_id LEFT JOIN services s ON s.id = e.service_id"
        " WHERE e.work_date BETWEEN :first AND :last AND (CAST(:user AS bigint) IS NULL OR e.user_id = :user)"
        " ORDER BY e.work_date, e.id"
    )
    async with aclosing(db.iterate(sql, first=first, last=last, user=user_id)) as rows:
        async for r in rows:
            yield [
                r["work_date"],
                r["person"],
                r["client"],
                r["service"] or "",
                r["minutes"],
                _hours(r["minutes"]),
                "yes" if r["billable"] else "no",
                _cents(r["rate_cents"]),
                _cents(r["amount_cents"]),
                r["description"],
            ]


def _cents(cents: int) -> str:
    """Exact: 123456 -> '1234.56'."""
    cents = int(cents)  # sums come back as Decimal
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _hours(minutes: int) -> str:
    """90 -> '1.50': hours to two decimals, from whole minutes."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
