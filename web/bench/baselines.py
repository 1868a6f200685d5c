"""The two baselines the benchmark compares Billable with, served by the same app process.

naive  — the "before" of the problem: the whole dashboard in one request, client by client, one query
         per client and per figure, in sequence, uncached.
gather — the usual fix: the same per-client queries run concurrently (asyncio.gather), the page's
         result cached with a TTL.

Both use the same definitions as Billable (web.queries.figures), asked one client and one month at
a time, so the figures are identical; only the way of computing them differs. These routes exist
only when BILLABLE_BENCH_ROUTES is on (`billable bench` starts the app that way).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiocache import Cache
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from web.db import Database
from web.periods import Month, Period, named_period, trailing_months
from web.queries import clients, figures
from web.queries.scope import ClientScope
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


async def _row(db: Database, client_id: int, name: str, period: Period, today: date) -> RowFigures:
    """One client's figures the naive way: one query per figure and per month."""
    period_figures = await figures.client_figures(db, client_id, period, today)
    months = trailing_months(Month.of(period.end), 12)
    spark = []
    for month in months:
        monthly = await figures.client_figures(db, client_id, Period("m", month.first_day, month.last_day), today)
        spark.append(monthly.revenue_cents)
    return RowFigures(name, period_figures.revenue_cents, period_figures.mrr_cents, period_figures.minutes, spark)


async def _cards(db: Database, period: Period, today: date) -> dict[str, int]:
    """The card figures by scanning entries and services, one query per figure."""
    current = await figures.scope_totals(db, ClientScope(), period, today)
    previous = await figures.scope_totals(db, ClientScope(), period.previous(), today)
    mrr = await figures.scope_mrr(db, ClientScope(), today)
    months = trailing_months(Month.of(period.end), 12)
    trend = await figures.monthly_revenue(db, ClientScope(), months[0], months[-1])
    return {
        "revenue": current.figures.revenue_cents,
        "previous": previous.figures.revenue_cents,
        "mrr": mrr.mrr_cents,
        "active": current.active_clients,
        "trend": sum(m.revenue_cents for m in trend),
    }


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


async def naive(request: Request) -> Response:
    state = AppState.of(request)
    today = state.today()
    period = named_period("this_month", today)
    cards = await _cards(state.db, period, today)
    rows = [await _row(state.db, cid, name, period, today) for cid, name in await _first_page(state.db, period, today)]
    return HTMLResponse(_html(cards, rows))


async def gather(request: Request) -> Response:
    state = AppState.of(request)
    today = state.today()
    period = named_period("this_month", today)
    key = f"{today}:{period.key()}"
    cached: Any = await _gather_cache.get(key)
    if cached is None:
        page = await _first_page(state.db, period, today)
        cards, *rows = await asyncio.gather(
            _cards(state.db, period, today), *(_row(state.db, cid, name, period, today) for cid, name in page)
        )
        cached = _html(cards, rows)  # type: ignore[arg-type]  # gather's results, in order
        await _gather_cache.set(key, cached, ttl=300)
    return HTMLResponse(cached)


async def clear_caches(request: Request) -> Response:
    """Empty every cache, for a cold measurement."""
    state = AppState.of(request)
    await state.cache.clear()
    await _gather_cache.clear()
    return HTMLResponse("cleared")


async def bare(request: Request) -> Response:
    """The ceiling: a bare route rendering a small Jinja2 card, nothing else."""
    html = AppState.of(request).env.from_string(_BARE).render(title="Revenue", value="€123,456")
    return HTMLResponse(html)


_BARE = '<article class="card"><h2>{{ title }}</h2><p class="figure">{{ value }}</p></article>'
