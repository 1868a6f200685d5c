"""The two baselines the benchmark compares Billable with, served by the same app process.

naive  — the "before" of the problem: the whole dashboard in one request, client by client, one query
         per client and per figure, in sequence, uncached.
gather — the usual fix: the same queries, the cards' figures and the 50 rows run concurrently
         (asyncio.gather), the page cached with a TTL.

Both compute the same figures as Billable, from the same definitions, but the way a first version
would: each figure its own query straight from the entries and services (no rollup, no batching),
through connections with PostgreSQL's default settings (the app's own plan every query for its
parameters, which would cost the 2,000 queries of a naive page their cached plans).

Each runs on two databases holding the same data (`?indexes=` picks one):
  plain — a copy whose entries have only the indexes a first version's schema would: the primary
          key and a plain index on client_id, the one foreign key the baselines look up by
          (`billable bench` makes it: see PLAIN_INDEX_NAME). Their card figures then scan the entries,
          as the issue's reference dashboard does ("card figures by scanning entries"): this is the
          "before", and the benchmark's headline ratios compare with it;
  same  — Billable's own database, with every index Billable added for its own figures (the
          default here), reported beside the headline: those indexes serve the baselines' card
          figures too, and make them index range reads instead of scans.
These routes are added by bench/app.py, the app `billable bench` starts; Billable itself has none.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from aiocache import Cache
from jinja2 import Environment, Template
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from web.db import Database
from web.periods import Month, Period, named_period, trailing_months
from web.queries import clients, statuses
from web.queries.scope import ClientScope
from web.settings import Settings
from web.state import AppState

ROWS = 50

# The plain copy's one index on the entries besides their primary key (every other is dropped). Its
# per-client queries need one: without, each of 2,000 would scan the table (minutes per page).
# PostgreSQL 18 skip-scans any index with work_date second for the cards' date ranges, which is why
# none stays (dropping only Billable's date index made naive 4x slower on PostgreSQL 15, and on 18
# no slower than on Billable's own database).
PLAIN_INDEX_NAME = "timesheet_entries_client_idx"
PLAIN_INDEX = f"CREATE INDEX {PLAIN_INDEX_NAME} ON timesheet_entries (client_id)"
INDEXES = ("same", "plain")
# How a baseline reads the trend card's twelve months (`?trend=`): one query per month, as every other
# figure (the default), or the entries of all twelve in one GROUP BY, the one shortcut a first
# version would likely take; the benchmark measures both on the copy (docs/performance.md).
Trend = Literal["per_month", "one_scan"]
TRENDS: tuple[Trend, ...] = ("per_month", "one_scan")


@dataclass
class Baselines:
    """What the baseline routes use, one per app: their databases (by INDEXES; "plain" only when a
    copy is configured) and gather's cache."""

    dbs: dict[str, Database]
    gather_cache: Any = field(default_factory=lambda: Cache(Cache.MEMORY))
    # `billable bench --browser`'s reference documents: a page's final HTML, served as it is
    references: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Settings, plain_url: str) -> Baselines:
        """Connections with the app's pool size and waits and PostgreSQL's default plan caching;
        "plain" on `plain_url`, when one is given."""
        assert settings.database_url
        urls = {"same": settings.database_url, "plain": plain_url}
        return cls(
            {
                indexes: Database(
                    url,
                    min_size=settings.pool_min,
                    max_size=settings.pool_max,
                    timezone=settings.timezone,
                    wait_s=settings.db_wait_ms / 1000,
                    custom_plans=False,
                )
                for indexes, url in urls.items()
                if url
            }
        )

    async def connect(self) -> None:
        for db in self.dbs.values():
            await db.connect()

    async def disconnect(self) -> None:
        for db in self.dbs.values():
            await db.disconnect()


@dataclass(frozen=True)
class RowFigures:
    name: str
    revenue_cents: int
    mrr_cents: int
    billable_minutes: int
    minutes: int
    sparkline: list[int]


# The "before": each figure its own query, read straight from the entries and services, for the
# clients `{who}` selects: one client, everyone, or the active clients.
_HOURLY = (
    "SELECT COALESCE(SUM(amount_cents), 0) AS cents, COALESCE(SUM(minutes) FILTER (WHERE billable), 0) AS billable,"
    " COALESCE(SUM(minutes), 0) AS minutes FROM timesheet_entries WHERE {who} AND work_date BETWEEN :start AND :end"
)
# Retainers by term, a run of one price (migration 0012), as the app defines them.
_RECURRING = (
    "SELECT COALESCE(SUM(monthly_price_cents * months_touched(GREATEST(start_date, :start), "
    "LEAST(COALESCE(end_date, :end), :end))), 0) FROM (SELECT s.client_id, t.start_date, t.end_date,"
    " t.monthly_price_cents FROM services s CROSS JOIN LATERAL recurring_terms(s) t WHERE s.kind = 'recurring') terms"
    " WHERE {who} AND start_date <= :end AND (end_date IS NULL OR end_date >= :start)"
)
_ONE_OFF = (
    "SELECT COALESCE(SUM(fixed_price_cents), 0) FROM services WHERE {who} AND kind = 'one_off' "
    "AND start_date BETWEEN :start AND :end"
)
_MRR = (
    "SELECT COALESCE(SUM(dated_value(monthly_price_cents, price_changes, :today)), 0) AS cents,"
    " count(DISTINCT client_id) AS paying FROM services "
    "WHERE {who} AND kind = 'recurring' AND start_date <= :today AND (end_date IS NULL OR end_date >= :today)"
)
# The trend's hourly revenue of every client, the twelve months in one scan (see TRENDS).
_HOURLY_BY_MONTH = (
    "SELECT date_trunc('month', work_date)::date AS month, SUM(amount_cents) AS cents FROM timesheet_entries"
    " WHERE work_date BETWEEN :start AND :end GROUP BY 1"
)
ONE_CLIENT, EVERYONE, ACTIVE = (
    "client_id = :client",
    "TRUE",
    f"client_id IN ({statuses.ACTIVE_IN_PERIOD})",  # active on a day of :start..:end (migration 0017)
)


@dataclass(frozen=True)
class Revenue:
    cents: int
    billable_minutes: int
    minutes: int


# How a baseline awaits the parts of a page (the cards' figures, the rows): naive one after another,
# gather all at once.
Together = Callable[..., Awaitable[list[Any]]]


async def in_turn(*steps: Awaitable[Any]) -> list[Any]:
    return [await step for step in steps]


async def concurrently(*steps: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*steps))


async def _revenue(db: Database, together: Together, who: str, start: date, end: date, **client: int) -> Revenue:
    """Revenue and hours of the clients `who` selects (`client=` the one client's id)."""
    hourly, services = await together(
        db.fetch_one(_HOURLY.format(who=who), **client, start=start, end=end),
        _services_revenue(db, together, who, start, end, **client),
    )
    return Revenue(int(hourly["cents"]) + services, int(hourly["billable"]), int(hourly["minutes"]))


async def _services_revenue(db: Database, together: Together, who: str, start: date, end: date, **client: int) -> int:
    recurring, one_off = await together(
        db.fetch_val(_RECURRING.format(who=who), **client, start=start, end=end),
        db.fetch_val(_ONE_OFF.format(who=who), **client, start=start, end=end),
    )
    return int(recurring) + int(one_off)


async def _row(db: Database, client_id: int, name: str, period: Period, today: date) -> RowFigures:
    """One client's figures: one query per figure and per month, in turn (in gather too: gathering a
    row's queries as well was slower, its 2,000 waiting for 10 connections)."""
    revenue, mrr, *months = await in_turn(
        _revenue(db, in_turn, ONE_CLIENT, period.start, period.end, client=client_id),
        db.fetch_one(_MRR.format(who=ONE_CLIENT), client=client_id, today=today),
        *(
            _revenue(db, in_turn, ONE_CLIENT, month.first_day, month.last_day, client=client_id)
            for month in trailing_months(Month.of(period.end), 12)
        ),
    )
    spark = [month.cents for month in months]
    return RowFigures(name, revenue.cents, int(mrr["cents"]), revenue.billable_minutes, revenue.minutes, spark)


async def _cards(db: Database, together: Together, period: Period, today: date, trend: Trend) -> dict[str, Any]:
    """The six cards' figures by scanning entries and services, one query per figure and per month
    (or, with trend "one_scan", the trend's entries read in one query)."""
    months = trailing_months(Month.of(period.end), 12)
    span = {"start": period.start, "end": period.end}
    read_trend = _trend_in_one_scan if trend == "one_scan" else _trend_per_month
    revenue, previous, active_revenue, mrr, active, new, trend_cents = await together(
        _revenue(db, together, EVERYONE, period.start, period.end),
        _revenue(db, together, EVERYONE, period.compared_with(today).start, period.compared_with(today).end),
        _revenue(db, together, ACTIVE, period.start, period.end),
        db.fetch_one(_MRR.format(who=EVERYONE), today=today),
        db.fetch_val(f"SELECT count(DISTINCT client_id) FROM ({statuses.ACTIVE_IN_PERIOD}) a", **span),
        db.fetch_val(
            "SELECT count(*) FROM (SELECT min(from_date) AS won FROM client_statuses WHERE status = 'active'"
            " GROUP BY client_id) c WHERE won BETWEEN :start AND :end",
            **span,
        ),
        read_trend(db, together, months),
    )
    return {
        "revenue": revenue.cents,
        "previous": previous.cents,
        "mrr": int(mrr["cents"]),
        "paying": int(mrr["paying"]),
        "active": int(active),
        "new": int(new),
        "billable_minutes": revenue.billable_minutes,
        "minutes": revenue.minutes,
        "average": int((Decimal(active_revenue.cents) / active).quantize(0, ROUND_HALF_UP)) if active else None,
        "trend": trend_cents,
    }


async def _trend_per_month(db: Database, together: Together, months: list[Month]) -> list[int]:
    """Every client's revenue of each month, a month's figures at a time."""
    return [
        m.cents for m in await together(*(_revenue(db, together, EVERYONE, m.first_day, m.last_day) for m in months))
    ]


async def _trend_in_one_scan(db: Database, together: Together, months: list[Month]) -> list[int]:
    """Every client's revenue of each month: the entries of the twelve months in one GROUP BY, the
    services (a small table) month by month."""
    hourly, *services = await together(
        db.fetch_all(_HOURLY_BY_MONTH, start=months[0].first_day, end=months[-1].last_day),
        *(_services_revenue(db, together, EVERYONE, m.first_day, m.last_day) for m in months),
    )
    by_month = {row["month"]: int(row["cents"]) for row in hourly}
    return [by_month.get(m.first_day, 0) + cents for m, cents in zip(months, services, strict=True)]


async def _dashboard(db: Database, together: Together, today: date, trend: Trend = "per_month") -> str:
    """The dashboard's page: its cards and first 50 rows, each figure its own query."""
    period = named_period("this_month", today)
    page = await _first_page(db, period, today)
    cards, *rows = await together(
        _cards(db, together, period, today, trend), *(_row(db, cid, name, period, today) for cid, name in page)
    )
    return _html(cards, rows)


async def _first_page(db: Database, period: Period, today: date) -> list[tuple[int, str]]:
    page = await clients.client_page(
        db, ClientScope(), sort="name", descending=False, limit=ROWS, offset=0, period=period, today=today
    )
    return [(c.id, c.name) for c in page.clients]


def _html(cards: dict[str, Any], rows: list[RowFigures]) -> str:
    body = "".join(
        f"<tr><th>{r.name}</th><td>{r.revenue_cents}</td><td>{r.mrr_cents}</td>"
        f"<td>{r.billable_minutes}</td><td>{r.minutes}</td>"
        f"<td>{','.join(map(str, r.sparkline))}</td></tr>"
        for r in rows
    )
    return f"<!doctype html><title>Dashboard</title><pre>{cards}</pre><table>{body}</table>"


def _baselines(request: Request) -> Baselines:
    baselines: Baselines = request.app.state.baselines
    return baselines


@dataclass(frozen=True)
class Asked:
    """What a baseline page was asked for: its database (`?indexes=`, default same) and how it reads
    the trend (`?trend=`, default per_month)."""

    indexes: str
    db: Database
    trend: Trend


def _asked(request: Request) -> Asked:
    indexes = request.query_params.get("indexes", "same")
    trend = request.query_params.get("trend", "per_month")
    if indexes not in INDEXES:
        raise HTTPException(400, f"indexes: one of {', '.join(INDEXES)}")
    if trend not in TRENDS:
        raise HTTPException(400, f"trend: one of {', '.join(TRENDS)}")
    db = _baselines(request).dbs.get(indexes)
    if db is None:
        raise HTTPException(503, "No copy of the data with plain indexes: BILLABLE_BENCH_PLAIN_URL is unset.")
    return Asked(indexes, db, trend)


async def naive(request: Request) -> Response:
    asked, today = _asked(request), AppState.of(request).today()
    return HTMLResponse(await _dashboard(asked.db, in_turn, today, asked.trend))


async def gather(request: Request) -> Response:
    asked, today = _asked(request), AppState.of(request).today()
    key, cache = f"{asked.indexes}:{asked.trend}:{today}", _baselines(request).gather_cache
    cached: Any = await cache.get(key)
    if cached is None:
        cached = await _dashboard(asked.db, concurrently, today, asked.trend)
        await cache.set(key, cached, ttl=300)
    return HTMLResponse(cached)


async def clear_caches(request: Request) -> Response:
    """Empty every cache, for a cold measurement."""
    state = AppState.of(request)
    await state.registry.clear()
    state.memo.clear()
    await _baselines(request).gather_cache.clear()
    return HTMLResponse("cleared")


async def reference(request: Request) -> Response:
    """POST: keep a page's final HTML under ?name=; GET: serve it as one static document, from this
    same server (the floor the browser benchmark compares streamed and per-request pages with)."""
    references = _baselines(request).references
    name = request.query_params.get("name", "")
    if request.method == "POST":
        references[name] = (await request.body()).decode()
        return HTMLResponse("kept")
    if name not in references:
        raise HTTPException(404, f"No reference document named {name!r}.")
    return HTMLResponse(references[name], headers={"Cache-Control": "private, no-cache"})


async def query_count(request: Request) -> Response:
    """Queries this process has issued, background work included (a request's Server-Timing counts
    only its own)."""
    baseline_queries = sum(db.queries for db in _baselines(request).dbs.values())
    return PlainTextResponse(str(AppState.of(request).db.queries + baseline_queries))


async def bare(request: Request) -> Response:
    """The ceiling: a bare route rendering a small Jinja2 card, nothing else."""
    return HTMLResponse(_bare_template(AppState.of(request).env).render(title="Revenue", value="€123,456"))


@functools.cache
def _bare_template(env: Environment) -> Template:
    return env.from_string(_BARE)  # compiled once, as any template is


_BARE = '<article class="card"><h2>{{ title }}</h2><p class="figure">{{ value }}</p></article>'
