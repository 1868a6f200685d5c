"""The two baselines the benchmark compares Billable with, served by the same app process.

naive  — the "before" of the problem: the whole dashboard in one request, client by client, one query
         per client and per figure, in sequence, uncached.
gather — the usual fix: the same per-client queries run concurrently (asyncio.gather), the page's
         result cached with a TTL.

Both compute the same figures as Billable, from the same definitions, but the way a first version
would: each figure its own query straight from the entries and services (no rollup, no batching),
through connections with PostgreSQL's default settings (the app's own plan every query for its
parameters, which would cost the 2,000 queries of a naive page their cached plans). These routes
exist only when BILLABLE_BENCH_ROUTES is on (`billable bench` starts the app that way).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiocache import Cache
from jinja2 import Environment, Template
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from web.db import Database
from web.periods import Month, Period, named_period, trailing_months
from web.queries import clients
from web.queries.scope import ClientScope
from web.settings import Settings
from web.state import AppState

ROWS = 50
_gather_cache = Cache(Cache.MEMORY, namespace="bench-gather")


@dataclass(frozen=True)
class RowFigures:
    name: str
    revenue_cents: int
    mrr_cents: int
    minutes: int
    sparkline: list[int]


# The "before": each figure its own query, read straight from the entries and services.
_HOURLY = (
    "SELECT COALESCE(SUM(amount_cents), 0) AS cents, COALESCE(SUM(minutes), 0) AS minutes FROM timesheet_entries "
    "WHERE client_id = :client AND work_date BETWEEN :start AND :end"
)
_RECURRING = (
    "SELECT COALESCE(SUM(monthly_price_cents * months_touched(GREATEST(start_date, :start), "
    "LEAST(COALESCE(end_date, :end), :end))), 0) FROM services WHERE client_id = :client AND kind = 'recurring' "
    "AND start_date <= :end AND (end_date IS NULL OR end_date >= :start)"
)
_ONE_OFF = (
    "SELECT COALESCE(SUM(fixed_price_cents), 0) FROM services WHERE client_id = :client AND kind = 'one_off' "
    "AND start_date BETWEEN :start AND :end"
)
_MRR = (
    "SELECT COALESCE(SUM(monthly_price_cents), 0) FROM services WHERE client_id = :client AND kind = 'recurring' "
    "AND start_date <= :today AND (end_date IS NULL OR end_date >= :today)"
)


async def _revenue(db: Database, client_id: int, start: date, end: date) -> tuple[int, int]:
    hourly = await db.fetch_one(_HOURLY, client=client_id, start=start, end=end)
    recurring = await db.fetch_val(_RECURRING, client=client_id, start=start, end=end)
    one_off = await db.fetch_val(_ONE_OFF, client=client_id, start=start, end=end)
    assert hourly is not None
    return int(hourly["cents"]) + int(recurring) + int(one_off), int(hourly["minutes"])


async def _row(db: Database, client_id: int, name: str, period: Period, today: date) -> RowFigures:
    """One client's figures the naive way: one query per figure and per month."""
    revenue, minutes = await _revenue(db, client_id, period.start, period.end)
    mrr = int(await db.fetch_val(_MRR, client=client_id, today=today))
    spark = []
    for month in trailing_months(Month.of(period.end), 12):
        spark.append((await _revenue(db, client_id, month.first_day, month.last_day))[0])
    return RowFigures(name, revenue, mrr, minutes, spark)


async def _cards(db: Database, period: Period, today: date) -> dict[str, int]:
    """The card figures by scanning entries and services, one query per figure and per month."""
    totals = {}
    for name, start, end in (
        ("revenue", period.start, period.end),
        ("previous", period.previous().start, period.previous().end),
    ):
        hourly = await db.fetch_val(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM timesheet_entries WHERE work_date BETWEEN :start AND :end",
            start=start,
            end=end,
        )
        services = await db.fetch_val(_RECURRING.replace("client_id = :client AND ", ""), start=start, end=end)
        totals[name] = int(hourly) + int(services)
    totals["hours"] = int(
        await db.fetch_val(
            "SELECT COALESCE(SUM(minutes), 0) FROM timesheet_entries WHERE work_date BETWEEN :start AND :end",
            start=period.start,
            end=period.end,
        )
    )
    totals["mrr"] = int(await db.fetch_val(_MRR.replace("client_id = :client AND ", ""), today=today))
    totals["active"] = int(await db.fetch_val("SELECT count(*) FROM clients WHERE status = 'active'"))
    trend = 0
    for month in trailing_months(Month.of(period.end), 12):
        trend += int(
            await db.fetch_val(
                "SELECT COALESCE(SUM(amount_cents), 0) FROM timesheet_entries WHERE work_date BETWEEN :start AND :end",
                start=month.first_day,
                end=month.last_day,
            )
        )
    totals["trend"] = trend
    return totals


async def _first_page(db: Database, period: Period, today: date) -> list[tuple[int, str]]:
    page = await clients.client_page(
        db, ClientScope(), sort="name", descending=False, limit=ROWS, offset=0, period=period, today=today
    )
    return [(c.id, c.name) for c in page.clients]


def _html(cards: dict[str, int], rows: list[RowFigures]) -> str:
    body = "".join(
        f"<tr><th>{r.name}</th><td>{r.revenue_cents}</td><td>{r.mrr_cents}</td><td>{r.minutes}</td>"
        f"<td>{','.join(map(str, r.sparkline))}</td></tr>"
        for r in rows
    )
    return f"<!doctype html><title>Dashboard</title><pre>{cards}</pre><table>{body}</table>"


def database(settings: Settings) -> Database:
    """The baselines' connections: the app's database and pool size, with PostgreSQL's default plan caching."""
    assert settings.database_url
    return Database(
        settings.database_url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        timezone=settings.timezone,
        custom_plans=False,
    )


def _db(request: Request) -> Database:
    db: Database = request.app.state.baseline_db
    return db


async def naive(request: Request) -> Response:
    db, today = _db(request), AppState.of(request).today()
    period = named_period("this_month", today)
    cards = await _cards(db, period, today)
    rows = [await _row(db, cid, name, period, today) for cid, name in await _first_page(db, period, today)]
    return HTMLResponse(_html(cards, rows))


async def gather(request: Request) -> Response:
    db, today = _db(request), AppState.of(request).today()
    period = named_period("this_month", today)
    key = f"{today}:{period.key()}"
    cached: Any = await _gather_cache.get(key)
    if cached is None:
        page = await _first_page(db, period, today)
        cards, *rows = await asyncio.gather(
            _cards(db, period, today), *(_row(db, cid, name, period, today) for cid, name in page)
        )
        cached = _html(cards, rows)  # type: ignore[arg-type]  # gather's results, in order
        await _gather_cache.set(key, cached, ttl=300)
    return HTMLResponse(cached)


async def clear_caches(request: Request) -> Response:
    """Empty every cache, for a cold measurement."""
    state = AppState.of(request)
    await state.registry.clear()
    state.memo.clear()
    await _gather_cache.clear()
    return HTMLResponse("cleared")


async def query_count(request: Request) -> Response:
    """Queries this process has issued, background work included (a request's Server-Timing counts
    only its own)."""
    return PlainTextResponse(str(AppState.of(request).db.queries + _db(request).queries))


async def bare(request: Request) -> Response:
    """The ceiling: a bare route rendering a small Jinja2 card, nothing else."""
    return HTMLResponse(_bare_template(AppState.of(request).env).render(title="Revenue", value="€123,456"))


@functools.cache
def _bare_template(env: Environment) -> Template:
    return env.from_string(_BARE)  # compiled once, as any template is


_BARE = '<article class="card"><h2>{{ title }}</h2><p class="figure">{{ value }}</p></article>'
