"""The ops pages: live per-partial figures, Prometheus metrics, health and readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from web import charts
from web.db import DatabaseTimeout, PoolStats
from web.db.migrate import pending
from web.ops.metrics import PartialSummary, RequestRecord, slowest_requests, summarize
from web.responses import Refused, render_page
from web.state import AppState
from web.timing import within

WINDOWS = (5, 60)
READY_DB_WAIT_S = 1.5  # and the cache its own bound (BILLABLE_CACHE_TIMEOUT_MS): /readyz answers within 2 s


@dataclass(frozen=True)
class CacheHealth:
    backend: str
    ok: bool
    latency_ms: float | None


@dataclass(frozen=True)
class OpsLive:
    window: int  # minutes
    windows: tuple[int, ...]
    partials: list[PartialSummary]
    charts: dict[str, list[charts.Column]]  # partial -> its per-minute p95 as columns (none where nothing was measured)
    slowest: list[RequestRecord]
    pool: PoolStats
    cache: CacheHealth
    processes: int
    shared: bool
    updated: str


@dataclass(frozen=True)
class OpsPage:
    live: OpsLive


async def ops_page(request: Request) -> Response:
    return render_page(request, "ops.html", OpsPage(await _live(request)))


async def ops_live(request: Request) -> Response:
    return render_page(request, "ops-live.html", OpsPage(await _live(request)))


async def _live(request: Request) -> OpsLive:
    window = request.query_params.get("window", "5")
    if window not in {str(w) for w in WINDOWS}:
        raise Refused(400, f"The window must be {' or '.join(str(w) for w in WINDOWS)} minutes.")
    state = AppState.of(request)
    metrics, processes = await state.shared_ops.combined()
    partials = summarize(metrics, int(window))
    return OpsLive(
        window=int(window),
        windows=WINDOWS,
        partials=partials,
        charts={p.partial: charts.minute_columns(p.per_minute_p95, width=160, height=28) for p in partials},
        slowest=slowest_requests(metrics),
        pool=state.db.pool_stats(),
        cache=await cache_health(state),
        processes=processes,
        shared=state.shared_ops.shared,
        updated=datetime.now(UTC).strftime("%H:%M:%S UTC"),
    )


async def cache_health(state: AppState) -> CacheHealth:
    backend = state.settings.cache_url.split("://", 1)[0]
    round_trip_ms = await state.cache.round_trip_ms()
    return CacheHealth(backend, round_trip_ms is not None, round_trip_ms)


async def metrics(request: Request) -> Response:
    body = AppState.of(request).prometheus.exposition()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


async def healthz(request: Request) -> Response:
    """The process is alive."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """Ready to serve: the database answers, its migrations are current, the cache answers. Within
    2 s whatever hangs (a load balancer's check must not pile up behind a stopped database)."""
    state = AppState.of(request)
    failed = []
    try:
        with within(READY_DB_WAIT_S):
            if await pending(state.db):
                failed.append("migrations pending")
    except DatabaseTimeout:
        failed.append("database not answering")
    except Exception:
        failed.append("database unreachable")
    if not (await cache_health(state)).ok:
        failed.append("cache unreachable")
    if failed:
        return PlainTextResponse("not ready: " + ", ".join(failed), status_code=503)
    return PlainTextResponse("ready")
