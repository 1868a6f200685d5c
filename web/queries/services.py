"""A client's services: listing, adding, editing, ending and reactivating them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from web.db import Database
from web.queries.changes import ChangeSet, Conflict

KINDS = ("recurring", "one_off", "hourly")
PRICE_COLUMN = {"recurring": "monthly_price_cents", "one_off": "fixed_price_cents", "hourly": "hourly_rate_cents"}
_AUDITED = ("name", "kind", "monthly_price_cents", "fixed_price_cents", "hourly_rate_cents", "start_date", "end_date")


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    kind: str
    price_cents: int  # monthly, fixed or hourly, by kind
    start_date: date
    end_date: date | None
    version: int

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True)
class ServiceInput:
    name: str
    kind: str
    price_cents: int
    start_date: date
    end_date: date | None


async def client_services(db: Database, client_id: int) -> list[Service]:
    rows = await db.fetch_all(
        "SELECT id, name, kind, COALESCE(monthly_price_cents, fixed_price_cents, hourly_rate_cents) AS price_cents,"
        " start_date, end_date, version FROM services WHERE client_id = :client"
        " ORDER BY end_date IS NOT NULL, start_date DESC, id",
        client=client_id,
    )
    return [Service(**row) for row in rows]


def _columns(service: ServiceInput) -> dict[str, Any]:
    prices: dict[str, int | None] = {column: None for column in PRICE_COLUMN.values()}
    prices[PRICE_COLUMN[service.kind]] = service.price_cents
    return {
        "name": service.name,
        "kind": service.kind,
        **prices,
        "start_date": service.start_date,
        "end_date": service.end_date,
    }


async def add_service(db: Database, changes: ChangeSet, client_id: int, service: ServiceInput) -> int:
    values = _columns(service)
    row = await db.fetch_one(
        "INSERT INTO services (client_id, "
        + ", ".join(values)
        + ") VALUES (:client, "
        + ", ".join(f":{k}" for k in values)
        + ") RETURNING id",
        client=client_id,
        **values,
    )
    assert row is not None
    changes.add("service", row["id"], "create", client_id=client_id, after=values)
    return int(row["id"])


async def update_service(
    db: Database, changes: ChangeSet, client_id: int, service_id: int, version: int, service: ServiceInput
) -> None:
    await _save(db, changes, client_id, service_id, version, _columns(service))


async def set_end_date(
    db: Database, changes: ChangeSet, client_id: int, service_id: int, version: int, end: date | None
) -> None:
    """End a service on `end`, or reactivate it (None)."""
    await _save(db, changes, client_id, service_id, version, {"end_date": end})


async def _save(
    db: Database, changes: ChangeSet, client_id: int, service_id: int, version: int, values: dict[str, Any]
) -> None:
    before = await db.fetch_one(
        "SELECT version, " + ", ".join(_AUDITED) + " FROM services WHERE id = :id AND client_id = :client FOR UPDATE",
        id=service_id,
        client=client_id,
    )
    if before is None:
        raise Conflict("service", None)
    start: date = values["start_date"] if "start_date" in values else before["start_date"]
    end: date | None = values["end_date"] if "end_date" in values else before["end_date"]
    if end is not None and end < start:
        raise ValueError(f"The end date must be on or after the start date ({start.isoformat()}).")
    row = await db.fetch_one(
        "UPDATE services SET " + ", ".join(f"{k} = :{k}" for k in values) + ", version = version + 1"
        " WHERE id = :id AND version = :version RETURNING " + ", ".join(_AUDITED),
        id=service_id,
        version=version,
        **values,
    )
    if row is None:
        raise Conflict("service", dict(before))
    changes.add(
        "service",
        service_id,
        "update",
        client_id=client_id,
        before={k: before[k] for k in _AUDITED},
        after={k: row[k] for k in _AUDITED},
    )
