"""A client's history: the audit rows of the client, its services and its time entries, with the
names of what they refer to by id (web/clients/history.py puts them in words)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from web.db import Database


@dataclass(frozen=True)
class AuditRow:
    """One recorded write: the audited columns before and after it ({} before a create, after a delete)."""

    at: datetime
    who: str | None  # None: no signed-in user (a script)
    entity: str  # client, service or entry
    entity_id: int
    action: str  # create, update or delete
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class ClientHistory:
    rows: list[AuditRow]  # newest first
    names: dict[str, dict[int, str]]  # a column holding ids (account_manager_id, ...) -> the names of those ids


# The audited columns that hold the id of a row with a name, and that row's table.
_NAMED_BY = {"account_manager_id": "users", "user_id": "users", "service_id": "services", "client_id": "clients"}


async def client_history(db: Database, client_id: int, limit: int = 50) -> ClientHistory:
    """The audit trail of a client, its services and its time entries, newest first: who, when, what
    changed from what to what, with the names of the people and things it refers to by id."""
    found = await db.fetch_all(
        "SELECT a.at, u.name AS who, a.entity, a.entity_id, a.action, a.before, a.after FROM audit_log a"
        " LEFT JOIN users u ON u.id = a.user_id WHERE a.client_id = :client ORDER BY a.at DESC, a.id DESC LIMIT :limit",
        client=client_id,
        limit=limit,
    )
    rows = [
        AuditRow(
            r["at"],
            r["who"],
            r["entity"],
            r["entity_id"],
            r["action"],
            json.loads(r["before"]) if r["before"] else {},
            json.loads(r["after"]) if r["after"] else {},
        )
        for r in found
    ]
    return ClientHistory(rows, await _names_in(db, rows))


async def _names_in(db: Database, rows: list[AuditRow]) -> dict[str, dict[int, str]]:
    """The names of the users, services and clients the rows refer to: one query per table, if any."""
    ids: dict[str, set[int]] = {table: set() for table in _NAMED_BY.values()}
    for row in rows:
        for values in (row.before, row.after):
            for column, table in _NAMED_BY.items():
                if isinstance(values.get(column), int):
                    ids[table].add(values[column])
    names: dict[str, dict[int, str]] = {}
    for table, wanted in ids.items():
        found = (
            await db.fetch_all(f"SELECT id, name FROM {table} WHERE id = ANY(:ids)", ids=list(wanted)) if wanted else []
        )
        names[table] = {r["id"]: r["name"] for r in found}
    return {column: names[table] for column, table in _NAMED_BY.items()}
