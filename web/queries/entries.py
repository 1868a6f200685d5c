"""Time entries: a staff member's week, and logging, editing and deleting entries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from web.db import Database
from web.money import format_hours
from web.queries.capacity import Utilization
from web.queries.changes import ChangeSet, Conflict
from web.queries.costs import Margin

_AUDITED = ("user_id", "client_id", "service_id", "work_date", "minutes", "billable", "rate_cents", "description")


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: int
    client_id: int
    client: str
    service_id: int | None
    service: str | None
    work_date: date
    minutes: int
    billable: bool
    rate_cents: int
    amount_cents: int
    description: str
    version: int


@dataclass(frozen=True)
class EntryInput:
    user_id: int
    client_id: int
    service_id: int | None
    work_date: date
    minutes: int
    billable: bool
    description: str


@dataclass(frozen=True)
class ClientChoice:
    id: int
    name: str


@dataclass(frozen=True)
class ServiceChoice:
    id: int
    name: str
    kind: str
    ended: date | None = None  # its end date (a one-off's date), when that has passed
    rate_cents: int | None = None  # its own hourly rate, which time logged on it is billed at


_ENTRY_SELECT = (
    "SELECT e.id, e.user_id, e.client_id, c.name AS client, e.service_id, s.name AS service, e.work_date, "
    "e.minutes, e.billable, e.rate_cents, e.amount_cents, e.description, e.version "
    "FROM timesheet_entries e JOIN clients c ON c.id = e.client_id LEFT JOIN services s ON s.id = e.service_id "
)


async def week_entries(db: Database, user_id: int, first: date, last: date) -> list[Entry]:
    rows = await db.fetch_all(
        _ENTRY_SELECT + "WHERE e.user_id = :user AND e.work_date BETWEEN :first AND :last ORDER BY e.work_date, e.id",
        user=user_id,
        first=first,
        last=last,
    )
    return [Entry(**row) for row in rows]


async def get_entry(db: Database, entry_id: int) -> Entry | None:
    row = await db.fetch_one(_ENTRY_SELECT + "WHERE e.id = :id", id=entry_id)
    return None if row is None else Entry(**row)


@dataclass(frozen=True)
class ClientChoices:
    """Clients time can be logged for (all but churned ones, by name: see client_choices), and, first in the list, those
    the person logged time for lately: with thousands of clients, most entries go to a few."""

    recent: list[ClientChoice]
    everyone: list[ClientChoice]


RECENT_DAYS = 30
RECENT_MAX = 5


async def client_choices(db: Database, person_id: int, today: date, *, including: int | None = None) -> ClientChoices:
    """The clients time can be logged for: not the churned ones, except `including` (the client of
    the entry being edited, which must stay its client when other fields change)."""
    everyone, recent = await asyncio.gather(
        db.fetch_all(
            "SELECT id, CASE WHEN status = 'churned' THEN name || ' (churned)' ELSE name END AS name FROM clients "
            "WHERE status <> 'churned' OR id = :including ORDER BY lower(name), id",
            including=including,
        ),
        db.fetch_all(
            "SELECT c.id, c.name FROM clients c JOIN (SELECT client_id, max(work_date) AS last "
            "FROM timesheet_entries WHERE user_id = :person AND work_date BETWEEN :since AND :today "
            "GROUP BY client_id) r ON r.client_id = c.id "
            "WHERE c.status <> 'churned' ORDER BY r.last DESC, lower(c.name), c.id LIMIT :most",
            person=person_id,
            since=today - timedelta(days=RECENT_DAYS),
            today=today,
            most=RECENT_MAX,
        ),
    )
    return ClientChoices(
        [ClientChoice(row["id"], row["name"]) for row in recent],
        [ClientChoice(row["id"], row["name"]) for row in everyone],
    )


async def service_choices(db: Database, client_id: int, today: date) -> list[ServiceChoice]:
    """The client's services to log time on: current ones first, hourly first among them; ended ones
    after, latest first, marked as ended (time for a past date may still go on them, and a service
    reactivated as a new one would otherwise be listed twice under one name)."""
    # A one-off is over once its day has passed; the others at their end date.
    over = "CASE WHEN kind = 'one_off' AND start_date < :today THEN start_date WHEN end_date < :today THEN end_date END"
    rows = await db.fetch_all(
        f"SELECT id, name, kind, {over} AS ended, hourly_rate_cents FROM services WHERE client_id = :client "
        f"ORDER BY ({over}) IS NOT NULL, {over} DESC, kind <> 'hourly', name, id",
        client=client_id,
        today=today,
    )
    return [ServiceChoice(row["id"], row["name"], row["kind"], row["ended"], row["hourly_rate_cents"]) for row in rows]


class InvalidEntry(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


DAY_MINUTES = 24 * 60


class DayOverfull(InvalidEntry):
    """The entry would make one person's day longer than a day."""

    def __init__(self, day: date, total_minutes: int) -> None:
        super().__init__(
            "duration",
            f"That would make {format_hours(total_minutes)} on {day:%a %-d %b %Y}; a day has 24 hours.",
        )
        self.day, self.total_minutes = day, total_minutes


async def _check_day_total(db: Database, entry: EntryInput, replacing: int | None = None) -> None:
    """Refuse `entry` if it makes its person's day longer than 24 hours (`replacing`: the entry it
    replaces, whose old minutes do not count). Inside the write's transaction, the person's row is
    locked first, until commit: two writes to one person's time run one after the other, so both
    cannot pass on the same old total. NO KEY UPDATE: it excludes itself, but not the key-share
    locks of foreign-key checks on other tables (an audit row naming the person)."""
    await db.execute("SELECT id FROM users WHERE id = :user FOR NO KEY UPDATE", user=entry.user_id)
    others = await db.fetch_val(
        "SELECT COALESCE(SUM(minutes), 0) FROM timesheet_entries "
        "WHERE user_id = :user AND work_date = :day AND id IS DISTINCT FROM :replacing",
        user=entry.user_id,
        day=entry.work_date,
        replacing=replacing,
    )
    if int(others) + entry.minutes > DAY_MINUTES:
        raise DayOverfull(entry.work_date, int(others) + entry.minutes)


async def _resolve_rate(db: Database, entry: EntryInput) -> int:
    """The rate when the entry is made: service rate, else client rate, else the staff member's; the
    client's and the person's as in effect on the entry's date (web/dated.py)."""
    row = await db.fetch_one(
        "SELECT c.status, dated_value(c.hourly_rate_cents, c.rate_changes, :day) AS client_rate,"
        " dated_value(u.hourly_rate_cents, u.rate_changes, :day) AS user_rate, "
        "(SELECT s.hourly_rate_cents FROM services s WHERE s.id = :service AND s.client_id = c.id) AS service_rate, "
        "(SELECT count(*) FROM services s WHERE s.id = :service AND s.client_id = c.id) AS service_found "
        "FROM clients c, users u WHERE c.id = :client AND u.id = :user",
        client=entry.client_id,
        service=entry.service_id,
        user=entry.user_id,
        day=entry.work_date,
    )
    if row is None:
        raise InvalidEntry("client_id", "This client does not exist (any more).")
    if row["status"] == "churned":
        raise InvalidEntry("client_id", "This client has churned; time cannot be logged for it.")
    if entry.service_id is not None and not row["service_found"]:
        raise InvalidEntry("service_id", "This service does not belong to the chosen client.")
    for rate in (row["service_rate"], row["client_rate"], row["user_rate"]):
        if rate is not None:
            return int(rate)
    return 0


def _values(entry: EntryInput, rate: int) -> dict[str, Any]:
    """The parameters an INSERT or UPDATE of an entry writes."""
    return {
        "client": entry.client_id,
        "service": entry.service_id,
        "day": entry.work_date,
        "minutes": entry.minutes,
        "billable": entry.billable,
        "rate": rate,
        "text": entry.description,
    }


async def create_entry(db: Database, changes: ChangeSet, entry: EntryInput) -> int:
    rate = await _resolve_rate(db, entry)
    await _check_day_total(db, entry)
    row = await db.fetch_one(
        "INSERT INTO timesheet_entries (user_id, client_id, service_id, work_date, minutes, billable, rate_cents,"
        " description) VALUES (:user, :client, :service, :day, :minutes, :billable, :rate, :text) "
        "RETURNING id, " + ", ".join(_AUDITED),
        user=entry.user_id,
        **_values(entry, rate),
    )
    assert row is not None
    changes.add(
        "entry", row["id"], "create", client_id=entry.client_id, after=_audited(row), scopes=(f"user:{entry.user_id}",)
    )
    return int(row["id"])


async def update_entry(db: Database, changes: ChangeSet, entry_id: int, version: int, entry: EntryInput) -> int:
    """Change the entry; returns its hourly rate, kept unless it moved to another client or service."""
    before = await _locked(db, entry_id)
    rate = before["rate_cents"]
    if (entry.client_id, entry.service_id) != (before["client_id"], before["service_id"]):
        rate = await _resolve_rate(db, entry)  # a new client or service: its rate
    await _check_day_total(db, entry, replacing=entry_id)
    row = await db.fetch_one(
        "UPDATE timesheet_entries SET client_id = :client, service_id = :service, work_date = :day, "
        "minutes = :minutes, billable = :billable, rate_cents = :rate, description = :text, version = version + 1 "
        "WHERE id = :id AND version = :version RETURNING id, " + ", ".join(_AUDITED),
        id=entry_id,
        version=version,
        **_values(entry, rate),
    )
    if row is None:
        raise Conflict("time entry", before)
    changes.add(
        "entry",
        entry_id,
        "update",
        client_id=entry.client_id,
        before=_audited(before),
        after=_audited(row),
        scopes=(f"client:{before['client_id']}", f"user:{before['user_id']}"),
    )
    return int(rate)


async def delete_entry(db: Database, changes: ChangeSet, entry_id: int, version: int) -> None:
    before = await _locked(db, entry_id)
    deleted = await db.fetch_val(
        "DELETE FROM timesheet_entries WHERE id = :id AND version = :version RETURNING id", id=entry_id, version=version
    )
    if deleted is None:
        raise Conflict("time entry", before)
    changes.add(
        "entry",
        entry_id,
        "delete",
        client_id=before["client_id"],
        before=_audited(before),
        scopes=(f"user:{before['user_id']}",),
    )


async def _locked(db: Database, entry_id: int) -> dict[str, Any]:
    row = await db.fetch_one(
        "SELECT id, version, " + ", ".join(_AUDITED) + " FROM timesheet_entries WHERE id = :id FOR UPDATE", id=entry_id
    )
    if row is None:
        raise Conflict("time entry", None)
    return dict(row)


def _audited(row: Any) -> dict[str, Any]:
    return {name: row[name] for name in _AUDITED}


@dataclass(frozen=True)
class SummaryRow:
    name: str
    minutes: int
    billable_minutes: int
    amount_cents: int
    id: int = 0  # the client's or the person's
    billable_so_far: int = 0  # billable minutes up to the summary's `so_far` day
    utilization: Utilization | None = None  # a person's, filled in by the summary's loader
    cost_cents: int = 0  # the time at its people's cost rates (migration 0018; admins only)
    uncosted_minutes: int = 0  # logged by people without a cost rate on the day

    @property
    def margin(self) -> Margin:
        """The billable amount of the time less what it cost."""
        return Margin(self.amount_cents, self.cost_cents)


@dataclass(frozen=True)
class Summary:
    rows: list[SummaryRow]  # the first `limit`, most hours first
    count: int  # rows there are in all


# What each summary groups, and from what: clients with time in the period; people with time, or
# with capacity on some day of it up to `so_far` (an idle week is what utilization is there to show).
_SUMMARY_SOURCES = {
    "client": "c.name, c.id FROM timesheet_entries e JOIN clients c ON c.id = e.client_id"
    " WHERE e.work_date BETWEEN :first AND :last GROUP BY c.name, c.id",
    "staff": "u.name, u.id FROM users u"
    " LEFT JOIN timesheet_entries e ON e.user_id = u.id AND e.work_date BETWEEN :first AND :last"
    " GROUP BY u.name, u.id HAVING count(e.id) > 0 OR EXISTS (SELECT 1 FROM user_capacity r"
    " WHERE r.user_id = u.id AND r.weekly_minutes > 0 AND r.from_date <= :so_far AND NOT EXISTS ("
    " SELECT 1 FROM user_capacity later WHERE later.user_id = u.id AND later.from_date > r.from_date"
    " AND later.from_date <= :first))",
}


async def timesheet_summary(
    db: Database, by: str, first: date, last: date, limit: int = 20, *, so_far: date | None = None
) -> Summary:
    """Time logged in first..last per client or per staff member, most hours first."""
    # count(*) OVER (): the number of groups, counted before LIMIT (window functions run after GROUP BY).
    rows = await db.fetch_all(
        "SELECT COALESCE(SUM(e.minutes), 0) AS minutes,"
        " COALESCE(SUM(e.minutes) FILTER (WHERE e.billable), 0) AS billable_minutes,"
        " COALESCE(SUM(e.minutes) FILTER (WHERE e.billable AND e.work_date <= :so_far), 0) AS billable_so_far,"
        " COALESCE(SUM(e.amount_cents), 0) AS amount_cents, count(*) OVER () AS groups,"
        " COALESCE(SUM(entry_cost_cents(e.minutes, e.cost_rate_cents)), 0) AS cost_cents,"
        " COALESCE(SUM(e.minutes) FILTER (WHERE e.cost_rate_cents = 0), 0) AS uncosted_minutes,"
        f" {_SUMMARY_SOURCES[by]} ORDER BY minutes DESC, name LIMIT :limit",
        first=first,
        last=last,
        so_far=so_far or last,
        limit=limit,
    )
    return Summary(
        [
            SummaryRow(
                r["name"],
                int(r["minutes"]),
                int(r["billable_minutes"]),
                int(r["amount_cents"]),
                r["id"],
                int(r["billable_so_far"]),
                cost_cents=int(r["cost_cents"]),
                uncosted_minutes=int(r["uncosted_minutes"]),
            )
            for r in rows
        ],
        int(rows[0]["groups"]) if rows else 0,
    )
