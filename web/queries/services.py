"""A client's services: listing, adding, editing, ending and reactivating them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.dated import Change, audited, changes_of, stored, value_on, with_change
from web.db import Database, Row
from web.periods import Month
from web.queries.changes import ChangeSet, Conflict

KINDS = ("recurring", "one_off", "hourly")
KIND_LABELS = {"recurring": "Recurring", "one_off": "One-off", "hourly": "Hourly"}
PRICE_COLUMN = {"recurring": "monthly_price_cents", "one_off": "fixed_price_cents", "hourly": "hourly_rate_cents"}
_AUDITED = (
    "name",
    "kind",
    "monthly_price_cents",
    "price_changes",
    "fixed_price_cents",
    "hourly_rate_cents",
    "start_date",
    "end_date",
)
# In the audit of Reactivate's change: the ended service it carries on (a new run of it, or the same
# one without its end date), which the history names as a reactivation.
REACTIVATES = "reactivates"


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    kind: str
    price_cents: int  # monthly (before its first price change), fixed or hourly, by kind
    start_date: date
    end_date: date | None
    version: int
    price_changes: tuple[Change, ...] = ()  # a retainer's, each from the first of a month, in date order

    def price_on(self, day: date) -> int:
        """The price in effect on `day`: a retainer's last change from then or before, else its first."""
        return price_on(self.price_cents, self.price_changes, day)

    def shown_price(self, today: date) -> int:
        """What the service costs as people mean it: today's price, or its first one if it starts later."""
        return self.price_on(max(today, self.start_date))

    def price_terms(self) -> list[Change]:
        """A retainer's prices as they apply from its first month on; [] when its price never changed."""
        first_month = Month.of(self.start_date).first_day
        later = [c for c in self.price_changes if c.since > first_month]
        return [Change(first_month, self.price_on(self.start_date)), *later] if later else []

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def status_on(self, day: date) -> str:
        """What the services card says of it on `day`. A one-off is not active for ever from its date
        on: it is delivered on that date."""
        if self.kind == "one_off":
            return "scheduled" if self.start_date > day else ("today" if self.start_date == day else "done")
        if self.start_date > day:
            return "starts later"
        return "active" if self.active_on(day) else "ended"


@dataclass(frozen=True)
class ServiceInput:
    name: str
    kind: str
    price_cents: int
    start_date: date
    end_date: date | None
    # Editing a retainer: the month its price (if changed) applies from; earlier months keep theirs.
    price_from: date | None = None


def price_on(first_cents: int, changes: Sequence[Change], day: date) -> int:
    price = value_on(first_cents, changes, day)
    assert price is not None  # a retainer's prices are never none (the form requires one)
    return price


def with_price_from(
    first: int, changes: Sequence[Change], start: date, from_month: date, cents: int
) -> tuple[int, tuple[Change, ...]]:
    """A retainer's first price and changes once its price is `cents` from `from_month` (a first of
    a month) on: a change of that month replaces the one there, later ones stay; from the month it
    starts or before, it is the first price, and changes up to that month go."""
    if from_month <= Month.of(start).first_day:
        return cents, tuple(c for c in changes if c.since > from_month)
    return first, with_change(changes, from_month, cents)


async def client_services(db: Database, client_id: int) -> list[Service]:
    rows = await db.fetch_all(
        "SELECT id, name, kind, COALESCE(monthly_price_cents, fixed_price_cents, hourly_rate_cents) AS price_cents,"
        " start_date, end_date, version, price_changes FROM services WHERE client_id = :client"
        " ORDER BY end_date IS NOT NULL, start_date DESC, id",
        client=client_id,
    )
    return [Service(**{**row, "price_changes": changes_of(row["price_changes"])}) for row in rows]


def taken_over(services: list[Service]) -> frozenset[int]:
    """The ended services that a later one of the same name and kind carries on (one reactivated as a
    new service, or replaced by hand): reactivating them would bill the same thing twice."""
    return frozenset(
        ended.id
        for ended in services
        if ended.end_date is not None
        and any(s.name == ended.name and s.kind == ended.kind and s.start_date > ended.end_date for s in services)
    )


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


async def add_service(
    db: Database, changes: ChangeSet, client_id: int, service: ServiceInput, *, carries_on: int | None = None
) -> int:
    """A new service; `carries_on` the ended one it reactivates, which its history line names."""
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
    audited = values if carries_on is None else {**values, REACTIVATES: carries_on}
    changes.add("service", row["id"], "create", client_id=client_id, after=audited)
    return int(row["id"])


async def update_service(
    db: Database, changes: ChangeSet, client_id: int, service_id: int, version: int, service: ServiceInput
) -> None:
    """Save an edited service. A retainer's price is dated: changed, it applies from
    `service.price_from` on (the months before keep theirs); its first price is written only when
    that month is its first. A service that stops being a retainer drops its price changes."""
    before = await _locked(db, client_id, service_id, version)
    values = _columns(service)
    if service.kind == "recurring" and before["kind"] == "recurring":
        first, dated = before["monthly_price_cents"], changes_of(before["price_changes"])
        from_month = service.price_from or Month.of(service.start_date).first_day
        if price_on(first, dated, from_month) != service.price_cents:  # else the price as it was: nothing to date
            first, dated = with_price_from(first, dated, service.start_date, from_month, service.price_cents)
        values |= {"monthly_price_cents": first, "price_changes": stored(dated)}
    else:
        values["price_changes"] = "[]"
    await _update(db, changes, client_id, before, values)


async def set_end_date(
    db: Database, changes: ChangeSet, client_id: int, service_id: int, version: int, end: date
) -> None:
    """End a service on `end` (reactivate takes an end back)."""
    before = await _locked(db, client_id, service_id, version)
    if before["kind"] == "one_off":  # billed once, on its date: nothing runs on to end
        raise ValueError(f"{before['name']} is a one-off service; it has no end.")
    if end < before["start_date"]:
        # "End today" on a service that has not started: say why, and what to do instead.
        raise ValueError(
            f"{before['name']} starts on {before['start_date'].isoformat()} and cannot end before it starts;"
            " edit its dates instead."
        )
    await _update(db, changes, client_id, before, {"end_date": end})


async def reactivate(
    db: Database, changes: ChangeSet, client_id: int, service_id: int, version: int, today: date
) -> int:
    """Bill an ended service again from `today` on; the id of the service that now bills it.

    Revenue counts every calendar month a service touches, so clearing an end date from before this
    month would bill the months in between again: revenue already reported. Such a service comes back
    as a new one starting today, and the ended one stays as history. A service ending this month or
    later loses its end date instead (an undo): every month up to now is billed already, and a new
    service would bill this month twice."""
    before = await _locked(db, client_id, service_id, version)
    ended: date | None = before["end_date"]
    if ended is None:
        raise ValueError(f"{before['name']} has not ended; there is nothing to reactivate.")
    if service_id in taken_over(await client_services(db, client_id)):
        raise ValueError(f"{before['name']} was reactivated already: a later service of that name carries it on.")
    if ended >= Month.of(today).first_day:
        await _update(db, changes, client_id, before, {"end_date": None}, reactivating=True)
        return service_id
    # The ended service's version moves on too, so that a second Reactivate with the same version
    # (a double click, another admin's stale page) is a conflict rather than a second copy.
    await db.execute("UPDATE services SET version = version + 1 WHERE id = :id", id=service_id)
    kind: str = before["kind"]
    price = before[PRICE_COLUMN[kind]]
    if kind == "recurring":  # at the price it had last, not its first
        price = price_on(price, changes_of(before["price_changes"]), before["end_date"])
    again = ServiceInput(before["name"], kind, price, today, None)
    return await add_service(db, changes, client_id, again, carries_on=service_id)


async def _locked(db: Database, client_id: int, service_id: int, version: int) -> Row:
    """The service as saved, locked until the transaction ends; a Conflict unless it is at `version`."""
    row = await db.fetch_one(
        "SELECT id, version, "
        + ", ".join(_AUDITED)
        + " FROM services WHERE id = :id AND client_id = :client FOR UPDATE",
        id=service_id,
        client=client_id,
    )
    if row is None:
        raise Conflict("service", None)
    if row["version"] != version:
        raise Conflict("service", dict(row))
    return row


async def _update(
    db: Database, changes: ChangeSet, client_id: int, before: Row, values: dict[str, Any], *, reactivating: bool = False
) -> None:
    """Write `values` over the locked service `before`, and record the change (as Reactivate's, when
    `reactivating`)."""
    start: date = values["start_date"] if "start_date" in values else before["start_date"]
    end: date | None = values["end_date"] if "end_date" in values else before["end_date"]
    if end is not None and end < start:
        raise ValueError(f"The end date must be on or after the start date ({start.isoformat()}).")
    assignments = ", ".join(f"{k} = CAST(:{k} AS jsonb)" if k == "price_changes" else f"{k} = :{k}" for k in values)
    row = await db.fetch_one(
        f"UPDATE services SET {assignments}, version = version + 1 WHERE id = :id RETURNING " + ", ".join(_AUDITED),
        id=before["id"],
        **values,
    )
    assert row is not None  # locked by _locked
    changes.add(
        "service",
        before["id"],
        "update",
        client_id=client_id,
        before=_audited(before),
        after=_audited(row) | ({REACTIVATES: before["id"]} if reactivating else {}),
    )


def _audited(row: Row) -> dict[str, Any]:
    return audited(row, _AUDITED, "price_changes")
