"""Realistic demo data, generated fast and reproducibly.

A seeded RNG drives everything, so the same size, seed and date give the same data. Client sizes
follow a Pareto law (a few big clients, most small), work has seasons (quiet Augusts and
Decembers, no weekends), some clients churn or pause, and rows go in with COPY.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from web.db import Database
from web.db import seed_words as words
from web.db import versions as cache_versions
from web.db.seed_changes import seed_capacity, seed_cost_rates, seed_price_changes, seed_statuses
from web.queries.users import hash_password

DEMO_EMAIL = "demo@billable.test"
DEMO_PASSWORD = "demo-billable"


@dataclass(frozen=True)
class SeedSize:
    clients: int
    staff: int
    entries: int


SIZES = {
    "tiny": SeedSize(clients=12, staff=5, entries=2_000),
    "demo": SeedSize(clients=60, staff=40, entries=50_000),
    # Staff enough for the entries (2 h 24 min on average): two years of weekdays at DAY_CAPACITY
    # each come to about 1.6 times the time logged, so that entries find a day with room.
    "s": SeedSize(clients=200, staff=150, entries=200_000),
    "m": SeedSize(clients=2_000, staff=1_500, entries=2_000_000),
    "l": SeedSize(clients=10_000, staff=7_500, entries=10_000_000),
}

HISTORY_DAYS = 730  # time entries cover the last two years
DAY_CAPACITY = 10 * 60  # minutes one person logs on one day, at most (the app refuses over 24 hours)
_TRIES = 200  # places tried for an entry before it is left out (with room to spare, hardly ever)
_CHUNK = 200_000

_MINUTES = [15, 30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 480]
_MINUTE_WEIGHTS = [4, 10, 6, 14, 10, 14, 6, 10, 10, 6, 5, 5]
# Activity by month (Jan..Dec): summer holidays and the end of the year are quiet.
_SEASON = [1.0, 1.05, 1.1, 1.05, 1.0, 0.95, 0.8, 0.6, 1.05, 1.1, 1.05, 0.7]


class SeedError(RuntimeError):
    pass


@dataclass
class _Client:
    id: int
    weight: float
    start: date
    end: date  # last day of activity: today, or the day it churned or paused
    rate_cents: int | None
    team: list[int]
    services: list[tuple[int, int | None]]  # (service id, hourly rate if an hourly service)


async def seed(
    db: Database,
    size: SeedSize,
    *,
    today: date,
    reset: bool = False,
    rng_seed: int = 42,
    demo_account: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    async with db.transaction():  # all of it or nothing, dropped indexes included
        if reset:
            await db.execute("TRUNCATE timesheet_entries, services, clients, users RESTART IDENTITY CASCADE")
        elif await db.fetch_val("SELECT EXISTS (SELECT 1 FROM clients)"):
            raise SeedError("the database already has clients; use --reset to replace them")
        await _seed_rows(db, size, today, rng_seed, demo_account, progress)
    # VACUUM too: it marks the new pages all-visible, which index-only scans need to skip the heap.
    await db.execute_script(
        "VACUUM ANALYZE users, clients, services, timesheet_entries, client_month_entries, client_month_costs"
    )
    await cache_versions.bump(db, ["epoch", "all"])  # running apps drop everything cached before


async def _seed_rows(
    db: Database, size: SeedSize, today: date, rng_seed: int, demo_account: bool, progress: Callable[[str], None]
) -> None:
    rng = random.Random(rng_seed)
    first_user = int(await db.fetch_val("SELECT COALESCE(max(id), 0) FROM users")) + 1
    user_ids, user_rates = await _seed_users(db, rng, size.staff, first_user, demo_account, today)
    clients = await _seed_clients(db, rng, size.clients, user_ids, today)
    progress(f"seed: {len(user_ids)} staff, {len(clients)} clients")
    cost_on = await seed_cost_rates(db, user_rates, today, HISTORY_DAYS)
    async with entries_in_bulk(db):
        await _seed_entries(db, rng, clients, user_rates, cost_on, size.entries, today, progress)
    progress("seed: indexes and the rollups rebuilt")
    for table in ("users", "clients", "services"):
        # Rows went in with explicit ids: move each identity past them.
        await db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 1) FROM {table}))"
        )


# The rollups kept from time entries by row triggers, each with a function that rebuilds it whole.
ENTRY_ROLLUPS = ("client_month_entries", "client_month_costs", "status_month_totals", "status_day_entries")


@asynccontextmanager
async def entries_in_bulk(db: Database) -> AsyncIterator[None]:
    """Time entries inserted inside go in as a bulk load (see _bulk_load), and the rollups are built
    from them once at the end: a row trigger's upserts cost ~1 ms an entry, 30 s for 30,000. The
    entries' cost rates are not looked up (that is a trigger too): give cost_rate_cents, or none.
    Must run inside a transaction."""
    async with _bulk_load(db, "timesheet_entries"):
        yield
    for rollup in ENTRY_ROLLUPS:
        await db.execute(f"SELECT {rollup}_rebuild()")


@asynccontextmanager
async def _bulk_load(db: Database, table: str) -> AsyncIterator[None]:
    """Load `table` without its indexes, foreign keys and triggers (the rollup's one upsert per row),
    then build each index once and check each key once: PostgreSQL's advice for populating a
    database, and several times faster than maintaining them row by row. Definitions are read from
    the catalog, so the migrations stay their only source. Runs inside the seed's transaction."""
    regclass = {"table": table}
    indexes = await db.fetch_all(
        "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS ddl FROM pg_index "
        "WHERE indrelid = CAST(:table AS regclass) AND NOT indisprimary",
        **regclass,
    )
    keys = await db.fetch_all(
        "SELECT conname AS name, pg_get_constraintdef(oid) AS ddl FROM pg_constraint "
        "WHERE conrelid = CAST(:table AS regclass) AND contype = 'f'",
        **regclass,
    )
    for key in keys:
        await db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{key["name"]}"')
    for index in indexes:
        await db.execute(f"DROP INDEX {index['name']}")
    await db.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield  # on an error, the seed's transaction takes all of this back
    await db.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    for index in indexes:
        await db.execute(index["ddl"])
    for key in keys:
        await db.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{key["name"]}" {key["ddl"]}')


async def _seed_users(
    db: Database, rng: random.Random, count: int, first_id: int, demo_account: bool, today: date
) -> tuple[list[int], dict[int, int]]:
    """Staff with generated names and no password (they cannot sign in); with demo_account, the
    first is the demo admin, who can. Only the embedded default database gets a demo account."""
    make_demo = demo_account and not await db.fetch_val("SELECT 1 FROM users WHERE lower(email) = :e", e=DEMO_EMAIL)
    rows, rates = [], {}
    for n in range(count):
        user_id = first_id + n
        name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
        email = f"{name.lower().replace(' ', '.')}.{user_id}@staff.billable.test"
        role, password_hash = ("admin" if n < max(1, count // 10) else "staff"), None
        if n == 0 and make_demo:
            name, email, password_hash = "Demo Admin", DEMO_EMAIL, hash_password(DEMO_PASSWORD)
        rate = rng.randrange(60, 181, 5) * 100
        rates[user_id] = rate
        rows.append((user_id, name, email, role, rate, password_hash))
    await db.copy_records("users", ("id", "name", "email", "role", "hourly_rate_cents", "password_hash"), rows)
    await seed_capacity(db, list(rates), today, HISTORY_DAYS)
    return list(rates), rates


async def _seed_clients(
    db: Database, rng: random.Random, count: int, user_ids: list[int], today: date
) -> list[_Client]:
    first_client = int(await db.fetch_val("SELECT COALESCE(max(id), 0) FROM clients")) + 1
    next_service = int(await db.fetch_val("SELECT COALESCE(max(id), 0) FROM services")) + 1
    managers = user_ids[: max(1, min(len(user_ids) // 5, 50))]
    client_rows: list[tuple[Any, ...]] = []
    service_rows: list[tuple[Any, ...]] = []
    clients = []
    ended: list[tuple[int, str, date]] = []  # clients paused or churned: the status and its day
    for n in range(count):
        client_id = first_client + n
        weight = min(rng.paretovariate(1.2), 60.0)
        status, created, end = _client_life(rng, today)
        rate = rng.randrange(80, 201, 10) * 100 if rng.random() < 0.4 else None
        parts = (words.COMPANY_FIRST_WORDS, words.COMPANY_SECOND_WORDS, words.COMPANY_SUFFIXES)
        name = " ".join(rng.choice(part) for part in parts).strip()
        client_rows.append(
            (
                client_id,
                f"{name} #{client_id}" if count > 200 else name,
                status,
                rng.choice(managers),
                rate,
                datetime.combine(created, time(9), UTC),
            )
        )
        if status in ("paused", "churned"):
            ended.append((client_id, status, min(end + timedelta(days=1), today)))
        services: list[tuple[int, int | None]] = []
        if status != "lead":
            for row in _services_for(rng, client_id, weight, created, end, status):
                service_rows.append((next_service, *row))
                services.append((next_service, row[5] if row[2] == "hourly" else None))
                next_service += 1
        team = rng.sample(user_ids, k=min(len(user_ids), 1 + int(min(weight, 5.0))))
        clients.append(_Client(client_id, weight, created, end, rate, team, services))
    await db.copy_records(
        "clients",
        ("id", "name", "status", "account_manager_id", "hourly_rate_cents", "created_at"),
        client_rows,
    )
    await seed_statuses(db, ended)
    await db.copy_records(
        "services",
        (
            "id",
            "client_id",
            "name",
            "kind",
            "monthly_price_cents",
            "fixed_price_cents",
            "hourly_rate_cents",
            "start_date",
            "end_date",
        ),
        service_rows,
    )
    await seed_price_changes(db, today)
    return clients


def _client_life(rng: random.Random, today: date) -> tuple[str, date, date]:
    """A client's status, the day it was created, and the last day it was served."""
    status = rng.choices(["active", "paused", "churned", "lead"], [70, 8, 14, 8])[0]
    created = today - timedelta(days=rng.randrange(20, 3 * 365))
    end = today
    if status == "churned":
        end = max(created + timedelta(days=30), today - timedelta(days=rng.randrange(30, 540)))
    elif status == "paused":
        end = today - timedelta(days=rng.randrange(10, 90))
    return status, created, min(max(end, created), today)


def _services_for(
    rng: random.Random, client_id: int, weight: float, start: date, end: date, status: str
) -> list[tuple[Any, ...]]:
    """Service rows (without id) for one client: a retainer, maybe hourly work, maybe one-offs."""
    ended = end if status in ("churned", "paused") else None
    span = max(1, (end - start).days)
    rows: list[tuple[Any, ...]] = []
    if rng.random() < 0.8:
        monthly = int(rng.randrange(5, 40) * 10_000 * min(weight, 20.0))
        rows.append((client_id, "Monthly retainer", "recurring", monthly, None, None, start, ended))
    if rng.random() < 0.3:
        later = start + timedelta(days=rng.randrange(span))
        rows.append(
            (
                client_id,
                "Hosting & maintenance",
                "recurring",
                rng.randrange(2, 20) * 5_000,
                None,
                None,
                later,
                ended if ended else (later + timedelta(days=rng.randrange(60, 720)) if rng.random() < 0.3 else None),
            )
        )
    if rng.random() < 0.6:
        rows.append(
            (
                client_id,
                "Consulting",  # pickers add the kind: "Consulting (hourly)"
                "hourly",
                None,
                None,
                rng.randrange(90, 221, 10) * 100,
                start,
                ended,
            )
        )
    for _ in range(rng.choices([0, 1, 2, 3], [50, 30, 15, 5])[0]):
        on = start + timedelta(days=rng.randrange(span))
        rows.append(
            (
                client_id,
                rng.choice(["Website launch", "Brand audit", "Workshop", "Migration project"]),
                "one_off",
                None,
                int(rng.randrange(10, 200) * 10_000 * min(weight, 5.0)),
                None,
                on,
                None,
            )
        )
    return rows


async def _seed_entries(
    db: Database,
    rng: random.Random,
    clients: list[_Client],
    user_rates: dict[int, int],
    cost_on: Callable[[int, date], int],
    total: int,
    today: date,
    progress: Callable[[str], None],
) -> None:
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS, -1, -1)]
    days = [d for d in days if d.weekday() < 5]
    day_weights = [_SEASON[d.month - 1] for d in days]
    working = [c for c in clients if c.services or c.rate_cents]
    spans = {c.id: _day_range(days, c.start, c.end) for c in working}
    weights = [c.weight * max(0, spans[c.id][1] - spans[c.id][0]) for c in working]
    scale = total / (sum(weights) or 1)
    columns = (
        "user_id",
        "client_id",
        "service_id",
        "work_date",
        "minutes",
        "billable",
        "rate_cents",
        "description",
        "cost_rate_cents",
    )
    chunk: list[tuple[Any, ...]] = []
    written = 0
    logged = _DayLoad(list(user_rates), len(days))
    for client, weight in zip(working, weights, strict=True):
        lo, hi = spans[client.id]
        count = min(int(weight * scale + rng.random()), total - written - len(chunk))
        if count <= 0 or hi <= lo:
            continue
        options = [*client.services, (None, None)]
        for day, minutes, (service, service_rate), billable, text in zip(
            rng.choices(range(lo, hi), day_weights[lo:hi], k=count),
            rng.choices(_MINUTES, _MINUTE_WEIGHTS, k=count),
            rng.choices(options, k=count),
            (rng.random() < 0.82 for _ in range(count)),
            rng.choices(words.WORK_NOTES, k=count),
            strict=True,
        ):
            placed = logged.place(rng, client.team, day, lo, hi, minutes)
            if placed is None:
                continue
            user, on = placed
            rate = service_rate if service_rate is not None else client.rate_cents or user_rates[user]
            chunk.append((user, client.id, service, days[on], minutes, billable, rate, text, cost_on(user, days[on])))
        if len(chunk) >= _CHUNK:
            await db.copy_records("timesheet_entries", columns, chunk)
            written += len(chunk)
            chunk = []
            progress(f"seed: {written:,} / ~{total:,} time entries")
    if chunk:
        await db.copy_records("timesheet_entries", columns, chunk)
        written += len(chunk)
    progress(f"seed: {written:,} time entries")


class _DayLoad:
    """Minutes each person has logged on each day so far, so that no one's day overflows: an entry
    goes to one of the client's team on a day of the client's span, else to anyone free that day."""

    def __init__(self, staff: list[int], days: int) -> None:
        self.staff = staff
        self.row = {user: n * days for n, user in enumerate(staff)}
        self.minutes = array("H", bytes(2 * len(staff) * days))

    def place(
        self, rng: random.Random, team: list[int], day: int, lo: int, hi: int, minutes: int
    ) -> tuple[int, int] | None:
        """(person, day index) for an entry wanted on `day`: the team first, then anyone, then
        other days of lo..hi; None when nowhere had room."""
        for attempt in range(_TRIES):
            if attempt >= 4:
                day = rng.randrange(lo, hi)
            user = rng.choice(team) if attempt % 2 == 0 else rng.choice(self.staff)
            at = self.row[user] + day
            if self.minutes[at] + minutes <= DAY_CAPACITY:
                self.minutes[at] += minutes
                return user, day
        return None


def _day_range(days: list[date], start: date, end: date) -> tuple[int, int]:
    return bisect_left(days, start), bisect_right(days, end)
