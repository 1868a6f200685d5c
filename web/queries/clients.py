"""Clients and staff as lists: the client list's pages, client lookups, account managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from web.db import Database
from web.periods import Period
from web.queries.figures import FIGURE_SORTS, figures_cte
from web.queries.scope import ClientScope


@dataclass(frozen=True)
class ClientSummary:
    id: int
    name: str
    status: str
    manager: str | None


@dataclass(frozen=True)
class ClientPage:
    clients: list[ClientSummary]
    total: int  # clients in scope, over all pages


@dataclass(frozen=True)
class Manager:
    id: int
    name: str


@dataclass(frozen=True)
class ClientCounts:
    active: int
    new: int  # created during the period


_LIST_COLUMNS = "c.id, c.name, c.status, u.name AS manager, count(*) OVER () AS total"


async def client_page(
    db: Database,
    scope: ClientScope,
    *,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
    period: Period,
    today: date,
) -> ClientPage:
    """One page of the client list. Sorting by a figure ranks every client in scope by it."""
    direction = "DESC" if descending else "ASC"
    if sort == "name":
        where, params = scope.where()
        sql = (
            f"SELECT {_LIST_COLUMNS} FROM clients c LEFT JOIN users u ON u.id = c.account_manager_id "
            f"WHERE {where} ORDER BY lower(c.name) {direction}, c.id {direction} LIMIT :limit OFFSET :offset"
        )
    else:
        cte, params = figures_cte(scope, period, today)
        sql = (
            f"{cte} SELECT {_LIST_COLUMNS} FROM figures f JOIN clients c ON c.id = f.client_id "
            "LEFT JOIN users u ON u.id = c.account_manager_id "
            f"ORDER BY {FIGURE_SORTS[sort]} {direction}, lower(c.name), c.id LIMIT :limit OFFSET :offset"
        )
    rows = await db.fetch_all(sql, **params, limit=limit, offset=offset)
    clients = [ClientSummary(r["id"], r["name"], r["status"], r["manager"]) for r in rows]
    total = int(rows[0]["total"]) if rows else await count_clients(db, scope)
    return ClientPage(clients=clients, total=total)


async def count_clients(db: Database, scope: ClientScope) -> int:
    where, params = scope.where()
    return int(await db.fetch_val(f"SELECT count(*) FROM clients c WHERE {where}", **params))


async def client_counts(db: Database, scope: ClientScope, period: Period) -> ClientCounts:
    """Active clients now, and clients created during the period (dates in the session time zone)."""
    where, params = scope.where()
    row = await db.fetch_one(
        "SELECT count(*) FILTER (WHERE c.status = 'active') AS active, "
        "count(*) FILTER (WHERE c.created_at::date BETWEEN :start AND :end) AS new "
        f"FROM clients c WHERE {where}",
        **params,
        start=period.start,
        end=period.end,
    )
    assert row is not None
    return ClientCounts(active=int(row["active"]), new=int(row["new"]))


async def get_client(db: Database, client_id: int) -> ClientSummary | None:
    row = await db.fetch_one(
        "SELECT c.id, c.name, c.status, u.name AS manager FROM clients c "
        "LEFT JOIN users u ON u.id = c.account_manager_id WHERE c.id = :id",
        id=client_id,
    )
    return None if row is None else ClientSummary(row["id"], row["name"], row["status"], row["manager"])


async def account_managers(db: Database) -> list[Manager]:
    """Staff who manage at least one client, for the filter bar."""
    rows = await db.fetch_all(
        "SELECT u.id, u.name FROM users u WHERE EXISTS "
        "(SELECT 1 FROM clients c WHERE c.account_manager_id = u.id) ORDER BY lower(u.name), u.id"
    )
    return [Manager(r["id"], r["name"]) for r in rows]
