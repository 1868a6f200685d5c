"""Clients and staff as lists: the client list's pages, client lookups, account managers."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from web.dated import Change, audited, changes_of, stored, value_on, with_change
from web.db import Database, Row
from web.periods import Period
from web.queries import statuses
from web.queries.changes import ChangeSet, Conflict
from web.queries.costs import client_cost_sql
from web.queries.figures import figures_cte, list_order
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


_PAGE_COLUMNS = "c.id, c.name, c.status, u.name AS manager"


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
    if sort == "name":
        # Read from the name index, 50 rows at a time; the count is a query of its own, since a
        # window count would read every client in scope first.
        where, params = scope.where()
        rows, total = await asyncio.gather(
            db.fetch_all(
                f"SELECT {_PAGE_COLUMNS} FROM clients c LEFT JOIN users u ON u.id = c.account_manager_id "
                f"WHERE {where} ORDER BY {list_order(sort, descending)} LIMIT :limit OFFSET :offset",
                **params,
                limit=limit,
                offset=offset,
            ),
            count_clients(db, scope),
        )
    else:
        cte, params = figures_cte(scope, period, today)
        cost = f"LEFT JOIN LATERAL ({client_cost_sql('f.client_id')}) cost ON true" if sort == "margin" else ""
        rows = await db.fetch_all(
            f"{cte} SELECT {_PAGE_COLUMNS}, count(*) OVER () AS total "
            f"FROM figures f JOIN clients c ON c.id = f.client_id {cost}"
            " LEFT JOIN users u ON u.id = c.account_manager_id "
            f"ORDER BY {list_order(sort, descending)} LIMIT :limit OFFSET :offset",
            **params,
            limit=limit,
            offset=offset,
        )
        total = int(rows[0]["total"]) if rows else await count_clients(db, scope)
    clients = [ClientSummary(r["id"], r["name"], r["status"], r["manager"]) for r in rows]
    return ClientPage(clients=clients, total=total)


async def count_clients(db: Database, scope: ClientScope) -> int:
    where, params = scope.where()
    return int(await db.fetch_val(f"SELECT count(*) FROM clients c WHERE {where}", **params))


async def get_client(db: Database, client_id: int) -> ClientSummary | None:
    row = await db.fetch_one(
        "SELECT c.id, c.name, c.status, u.name AS manager FROM clients c "
        "LEFT JOIN users u ON u.id = c.account_manager_id WHERE c.id = :id",
        id=client_id,
    )
    return None if row is None else ClientSummary(row["id"], row["name"], row["status"], row["manager"])


async def get_clients(db: Database, client_ids: list[int]) -> dict[int, ClientSummary]:
    rows = await db.fetch_all(
        "SELECT c.id, c.name, c.status, u.name AS manager FROM clients c "
        "LEFT JOIN users u ON u.id = c.account_manager_id WHERE c.id = ANY(:ids)",
        ids=client_ids,
    )
    return {r["id"]: ClientSummary(r["id"], r["name"], r["status"], r["manager"]) for r in rows}


async def account_managers(db: Database) -> list[Manager]:
    """Staff who manage at least one client, for the filter bar. The shell waits for this after every
    write, so the managers are found by skipping through the clients' manager index, one probe per
    manager (a few dozen), rather than by reading every client (0.7 ms instead of 1-3 ms on 2,000 and
    10,000 clients)."""
    rows = await db.fetch_all(
        "WITH RECURSIVE managers (id) AS ("
        "(SELECT account_manager_id FROM clients WHERE account_manager_id IS NOT NULL ORDER BY 1 LIMIT 1) "
        "UNION ALL SELECT (SELECT c.account_manager_id FROM clients c WHERE c.account_manager_id > m.id "
        "ORDER BY 1 LIMIT 1) FROM managers m WHERE m.id IS NOT NULL) "
        "SELECT u.id, u.name FROM users u WHERE u.id = ANY (ARRAY(SELECT id FROM managers)) "
        "ORDER BY lower(u.name), u.id"
    )
    return [Manager(r["id"], r["name"]) for r in rows]


# One client, and changing clients


@dataclass(frozen=True)
class ClientDetail:
    id: int
    name: str
    status: str
    manager_id: int | None
    manager: str | None
    hourly_rate_cents: int | None  # before its first dated change
    created_at: datetime
    version: int
    rate_changes: tuple[Change, ...] = ()  # from a day on each (web/dated.py)

    def rate_on(self, day: date) -> int | None:
        """The client's own hourly rate on `day`; None: its staff's rates."""
        return value_on(self.hourly_rate_cents, self.rate_changes, day)


@dataclass(frozen=True)
class ClientInput:
    name: str
    status: str
    manager_id: int | None
    hourly_rate_cents: int | None
    # Editing: the day a changed rate applies from (time logged for earlier days keeps the old one).
    rate_from: date | None = None
    # Editing: the day a changed status takes effect (today or a day gone by: see statuses.set_status);
    # creating: the client's start, today.
    status_from: date | None = None


_CLIENT_AUDITED = ("name", "status", "account_manager_id", "hourly_rate_cents", "rate_changes")
# The advisory locks on client names (two-key locks: apart from the migration's one-key lock).
_NAME_LOCKS = 1


async def client_detail(db: Database, client_id: int) -> ClientDetail | None:
    row = await db.fetch_one(
        "SELECT c.id, c.name, c.status, c.account_manager_id AS manager_id, u.name AS manager, c.hourly_rate_cents,"
        " c.created_at, c.version, c.rate_changes FROM clients c LEFT JOIN users u ON u.id = c.account_manager_id"
        " WHERE c.id = :id",
        id=client_id,
    )
    return None if row is None else ClientDetail(**{**row, "rate_changes": changes_of(row["rate_changes"])})


async def create_client(db: Database, changes: ChangeSet, client: ClientInput) -> int:
    await _check_manager(db, client.manager_id)
    await _check_name_free(db, client.name)
    row = await db.fetch_one(
        "INSERT INTO clients (name, status, account_manager_id, hourly_rate_cents) VALUES (:name, :status, :manager,"
        " :rate) RETURNING id, " + ", ".join(_CLIENT_AUDITED),
        name=client.name,
        status=client.status,
        manager=client.manager_id,
        rate=client.hourly_rate_cents,
    )
    assert row is not None
    if client.status_from is not None:
        # Its start, dated by the app's today (BILLABLE_TIMEZONE) rather than the database's clock.
        await db.execute(
            "UPDATE client_statuses SET from_date = :day WHERE client_id = :id", id=row["id"], day=client.status_from
        )
    changes.add("client", row["id"], "create", client_id=row["id"], after=_audited(row))
    return int(row["id"])


def _audited(row: Row) -> dict[str, Any]:
    return audited(row, _CLIENT_AUDITED, "rate_changes")


async def update_client(db: Database, changes: ChangeSet, client_id: int, version: int, client: ClientInput) -> None:
    before = await db.fetch_one(
        "SELECT version, " + ", ".join(_CLIENT_AUDITED) + " FROM clients WHERE id = :id FOR UPDATE", id=client_id
    )
    if before is None:
        raise Conflict("client", None)
    if before["version"] != version:  # before any check of the fields: the form shows their version
        raise Conflict("client", dict(before))
    first, dated = before["hourly_rate_cents"], changes_of(before["rate_changes"])
    if client.rate_from is not None and value_on(first, dated, client.rate_from) != client.hourly_rate_cents:
        dated = with_change(dated, client.rate_from, client.hourly_rate_cents)
    if (client.name, client.status, client.manager_id, first, dated) == (
        before["name"],
        before["status"],
        before["account_manager_id"],
        before["hourly_rate_cents"],
        changes_of(before["rate_changes"]),
    ):
        return  # saved as it was: no new version, no empty line in the history
    await _check_manager(db, client.manager_id, current=before["account_manager_id"])
    if client.name != before["name"]:
        # Only a new name is checked: clients that already share a name (from before this check)
        # can still have their other fields edited. Its own name in other capitals is free.
        await _check_name_free(db, client.name, but=client_id)
    # A new status from the day chosen (without one, the trigger of migration 0017 dates it today).
    status_from = client.status_from if client.status != before["status"] else None
    if status_from is not None:
        try:
            await statuses.set_status(db, client_id, status_from, client.status)
        except statuses.InvalidStatusDate as exc:
            raise InvalidClient("status_from", str(exc)) from None
    row = await db.fetch_one(
        "UPDATE clients SET name = :name, status = :status, account_manager_id = :manager, hourly_rate_cents = :rate,"
        " rate_changes = CAST(:dated AS jsonb), version = version + 1 WHERE id = :id AND version = :version"
        " RETURNING " + ", ".join(_CLIENT_AUDITED),
        id=client_id,
        version=version,
        name=client.name,
        status=client.status,
        manager=client.manager_id,
        rate=first,
        dated=stored(dated),
    )
    if row is None:
        raise Conflict("client", dict(before))
    after = _audited(row)
    if status_from is not None:
        after["status_from"] = status_from.isoformat()  # the history says from when
    changes.add("client", client_id, "update", client_id=client_id, before=_audited(before), after=after)


class InvalidClient(ValueError):
    """A client the database refuses; `field` is the form field the message belongs next to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def _check_manager(db: Database, manager_id: int | None, *, current: int | None = None) -> None:
    """A manager must exist and be enabled; the client's `current` one may stay once disabled (the form
    offers them, so that saving the client's other fields does not drop them)."""
    if manager_id is None:
        return
    disabled = await db.fetch_val("SELECT disabled FROM users WHERE id = :id", id=manager_id)
    if disabled is None:
        raise InvalidClient("manager_id", "This account manager does not exist.")
    if disabled and manager_id != current:
        raise InvalidClient("manager_id", "This account manager is disabled: choose someone else.")


# Characters that show nothing. In a typed name they go (visible_name), but for the joiners, which
# shape some scripts' words and go only from the ends of words; when names are compared, all of
# them are left out (names saved before this).
_INVISIBLE = "\u200b\u2060\ufeff"
_JOINERS = "\u200c\u200d"
_ZERO_WIDTH = re.compile(f"[{_INVISIBLE}]")


def visible_name(typed: str) -> str:
    """A typed name as it reads: "Acme  Co" is "Acme Co", "Acme\u200b" is "Acme", and zero-width
    joiners stay only inside words."""
    words = (word.strip(_JOINERS) for word in _ZERO_WIDTH.sub("", typed).split())
    return " ".join(word for word in words if word)


# A client name as compared: lower case, every run of spaces (no-break ones included) one space,
# no zero-width characters. (\s, not [[:space:]]: the query layer would read ":space" as a parameter.)
_SAME_NAME = (
    f"lower(btrim(regexp_replace(regexp_replace({{}}, '[{_INVISIBLE}{_JOINERS}]', '', 'g'), "
    "'(\\s|\u00a0|\u202f)+', ' ', 'g')))"
)


async def _check_name_free(db: Database, name: str, but: int | None = None) -> None:
    """Refuse a name another client (not `but`) has, ignoring case and spaces: pickers show clients by name.

    Called inside the write's transaction. The lock on the name (held until commit) makes two admins
    saving the same new name at once wait for each other, so the second one sees the first one's client;
    there is no unique index, since clients from before this check may share a name."""
    same = _SAME_NAME.format(":name")
    await db.execute(f"SELECT pg_advisory_xact_lock(:space, hashtext({same}))", space=_NAME_LOCKS, name=name)
    taken = await db.fetch_one(
        f"SELECT id, name FROM clients WHERE {_SAME_NAME.format('name')} = {same}"
        " AND id IS DISTINCT FROM :but ORDER BY id LIMIT 1",
        name=name,
        but=but,
    )
    if taken is not None:
        raise InvalidClient("name", f"There is already a client named {taken['name']} (#{taken['id']}).")


@dataclass(frozen=True)
class ClientEntry:
    id: int
    work_date: date
    person: str
    service: str | None
    minutes: int
    billable: bool
    amount_cents: int
    description: str


async def client_entries(
    db: Database, client_id: int, period: Period, *, limit: int, offset: int
) -> tuple[list[ClientEntry], int]:
    """One page of a client's time entries in the period, newest first, and how many there are."""
    in_period = "e.client_id = :client AND e.work_date BETWEEN :start AND :end"
    dates = {"client": client_id, "start": period.start, "end": period.end}
    rows = await db.fetch_all(
        "SELECT e.id, e.work_date, u.name AS person, s.name AS service, e.minutes, e.billable, e.amount_cents,"
        " e.description, count(*) OVER () AS total FROM timesheet_entries e JOIN users u ON u.id = e.user_id"
        f" LEFT JOIN services s ON s.id = e.service_id WHERE {in_period}"
        " ORDER BY e.work_date DESC, e.id DESC LIMIT :limit OFFSET :offset",
        limit=limit,
        offset=offset,
        **dates,
    )
    total = (
        int(rows[0]["total"])
        if rows
        else int(await db.fetch_val(f"SELECT count(*) FROM timesheet_entries e WHERE {in_period}", **dates))
    )
    return [ClientEntry(**{k: r[k] for k in ClientEntry.__dataclass_fields__}) for r in rows], total
