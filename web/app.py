"""The application: its route table, its lifespan and what it holds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from web import catalog, exports, views
from web.auth import account, people
from web.auth import views as auth_views
from web.auth.guard import PUBLIC, guarded
from web.auth.sessions import SessionMiddleware
from web.cache import make_cache
from web.clients import service_views
from web.clients import views as client_views
from web.dashboard.views import dashboard as dashboard_page
from web.dashboard.warming import warm_dashboard
from web.db import Database, DatabaseUnavailable
from web.db.migrate import pending
from web.db.versions import Versions
from web.dev import events as dev_events
from web.gallery import gallery
from web.ops import views as ops_views
from web.ops.metrics import OpsMetrics
from web.ops.prometheus import PrometheusMetrics
from web.ops.shared import SharedOps
from web.partial import Partial
from web.registry import Registry
from web.responses import Refused, quiet_stream_cuts, refused
from web.security import SecurityHeadersMiddleware
from web.settings import Settings, SettingsError
from web.state import AppState
from web.static_files import HTMX_FILE, SSE_FILE, static_app, static_url
from web.templating import make_env
from web.timesheets import views as timesheet
from web.timing import Reporter, TimingMiddleware

log = logging.getLogger("billable")


def build_routes(*, dev: bool = False) -> list[BaseRoute]:
    """The route table, by area. Every route names the role it needs (PUBLIC: anyone); tests/auth
    walks it.

    /metrics, /healthz and /readyz are public for scrapers and load balancers: they reveal timings
    and health, no company data. The gallery shows fixtures only; it is open in development mode.
    """
    routes = [*_dashboard_and_accounts(), *_timesheet(), *_clients(), *_exports_ops_and_files(dev)]
    if dev:
        routes.append(Route("/dev/events", guarded(dev_events, PUBLIC), name="dev_events"))
    return routes


def _dashboard_and_accounts() -> list[BaseRoute]:
    """The dashboard and its partials, signing in and out, accounts and people."""
    return [
        Route("/", guarded(dashboard_page, "staff"), name="dashboard"),
        Route("/partials/{name:path}", guarded(views.partial, "staff"), name="partial"),
        Route("/login", guarded(auth_views.login_page, PUBLIC), name="login_page"),
        Route("/login", guarded(auth_views.login, PUBLIC), methods=["POST"], name="login"),
        Route("/logout", guarded(auth_views.logout, PUBLIC), methods=["POST"], name="logout"),
        Route("/account", guarded(account.account_page, "staff"), name="account"),
        Route("/account/password", guarded(account.change_password, "staff"), methods=["POST"], name="password"),
        Route(
            "/account/sessions/end-others",
            guarded(account.end_other_sessions, "staff"),
            methods=["POST"],
            name="account_end_others",
        ),
        Route("/people", guarded(people.people_page, "admin"), name="people"),
        Route(
            "/people/{user_id:int}/sessions/end",
            guarded(people.end_person_sessions, "admin"),
            methods=["POST"],
            name="people_end_sessions",
        ),
        Route(
            "/people/{user_id:int}/capacity",
            guarded(people.set_person_capacity, "admin"),
            methods=["POST"],
            name="people_capacity",
        ),
        Route(
            "/people/{user_id:int}/cost",
            guarded(people.set_person_cost_rate, "admin"),
            methods=["POST"],
            name="people_cost_rate",
        ),
    ]


def _timesheet() -> list[BaseRoute]:
    """Logging time: the week, the entry form, its writes."""
    return [
        Route("/timesheet", guarded(timesheet.timesheet_page, "staff"), name="timesheet"),
        Route("/timesheet/week", guarded(timesheet.week_fragment, "staff"), name="timesheet_week"),
        Route("/timesheet/services", guarded(timesheet.services_options, "staff"), name="timesheet_services"),
        Route("/timesheet/entries/new", guarded(timesheet.new_form, "staff"), name="entry_new"),
        Route("/timesheet/entries", guarded(timesheet.create, "staff"), methods=["POST"], name="entry_create"),
        Route("/timesheet/entries/{entry_id:int}/edit", guarded(timesheet.edit_form, "staff"), name="entry_edit"),
        Route(
            "/timesheet/entries/{entry_id:int}",
            guarded(timesheet.update, "staff"),
            methods=["POST"],
            name="entry_update",
        ),
        Route(
            "/timesheet/entries/{entry_id:int}/delete",
            guarded(timesheet.delete, "staff"),
            methods=["POST"],
            name="entry_delete",
        ),
    ]


def _clients() -> list[BaseRoute]:
    """Client pages and their services (writes for admins)."""
    return [
        Route("/clients/new", guarded(client_views.new_client_page, "admin"), name="client_new"),
        Route("/clients", guarded(client_views.create_client, "admin"), methods=["POST"], name="client_create"),
        Route("/clients/{client_id:int}", guarded(client_views.client_page, "staff"), name="client"),
        Route(
            "/clients/{client_id:int}",
            guarded(client_views.update_client, "admin"),
            methods=["POST"],
            name="client_update",
        ),
        Route(
            "/clients/{client_id:int}/services/new",
            guarded(service_views.new_service_form, "admin"),
            name="service_new",
        ),
        Route(
            "/clients/{client_id:int}/services",
            guarded(service_views.save_service, "admin"),
            methods=["POST"],
            name="service_create",
        ),
        Route(
            "/clients/{client_id:int}/services/{service_id:int}/edit",
            guarded(service_views.edit_service_form, "admin"),
            name="service_edit",
        ),
        Route(
            "/clients/{client_id:int}/services/{service_id:int}",
            guarded(service_views.save_service, "admin"),
            methods=["POST"],
            name="service_update",
        ),
        Route(
            "/clients/{client_id:int}/services/{service_id:int}/end",
            guarded(service_views.end_service, "admin"),
            methods=["POST"],
            name="service_end",
        ),
        Route(
            "/clients/{client_id:int}/services/{service_id:int}/reactivate",
            guarded(service_views.reactivate_service, "admin"),
            methods=["POST"],
            name="service_reactivate",
        ),
    ]


def _exports_ops_and_files(dev: bool) -> list[BaseRoute]:
    """CSV exports, the ops pages and probes, the gallery, static files."""
    return [
        Route("/export/clients.csv", guarded(exports.clients_csv, "staff"), name="export_clients"),
        Route("/export/entries.csv", guarded(exports.entries_csv, "staff"), name="export_entries"),
        Route("/ops", guarded(ops_views.ops_page, "admin"), name="ops"),
        Route("/ops/live", guarded(ops_views.ops_live, "admin"), name="ops_live"),
        Route("/gallery", guarded(gallery, PUBLIC if dev else "admin"), name="gallery"),
        Route("/metrics", guarded(ops_views.metrics, PUBLIC), name="metrics"),
        Route("/healthz", guarded(ops_views.healthz, PUBLIC), name="healthz"),
        Route("/readyz", guarded(ops_views.readyz, PUBLIC), name="readyz"),
        Mount("/static", app=static_app(), name="static"),
    ]


ROUTES = build_routes()


def create_app(
    settings: Settings | None = None,
    *,
    today: Callable[[], date] | None = None,
    extra_partials: Sequence[Partial[Any, Any]] = (),
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The app for `settings` (default: from the environment).

    `today` and `extra_partials` exist for tests: a fixed date, and partials that fail on purpose.
    `extra_routes` are served beside the app's own (the benchmark's baselines, bench/app.py).
    """
    settings = settings or Settings.from_env()
    if not settings.database_url:
        raise SettingsError("DATABASE_URL is not set (`billable serve` starts an embedded PostgreSQL for you)")
    logging.getLogger("uvicorn.error").addFilter(quiet_stream_cuts)  # once: a filter is added only once
    state = _app_state(settings, settings.database_url, today, extra_partials)
    app = Starlette(
        routes=[*build_routes(dev=settings.dev), *extra_routes],
        middleware=_middleware(settings, state.reporter),
        exception_handlers={
            HTTPException: views.http_error,
            DatabaseUnavailable: views.database_unavailable,
            Refused: refused,
            Exception: views.server_error,
        },
        lifespan=_lifespan(state),
    )
    app.state.billable = state
    return app


def _app_state(
    settings: Settings, database_url: str, today: Callable[[], date] | None, extra_partials: Sequence[Partial[Any, Any]]
) -> AppState:
    """Everything the app holds for its lifetime: the database, the cache, the partials' registry,
    the templates and where timings go."""
    env = make_env(dev=settings.dev, tz=settings.tz, date_style=settings.date_style)
    env.globals.update(htmx_file=HTMX_FILE, sse_file=SSE_FILE, static=static_url, dev=settings.dev)
    db = Database(
        database_url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        timezone=settings.timezone,
        wait_s=settings.db_wait_ms / 1000,
        batch_s=settings.request_budget_ms / 1000,
    )
    cache = make_cache(settings.cache_url, settings.cache_timeout_ms / 1000, settings.cache_memory_entries)
    registry = Registry(
        [*catalog.PARTIALS, *extra_partials],
        env=env,
        db=db,
        cache=cache,
        ttls={
            "stats": settings.ttl_stats_s,
            "client_row": settings.ttl_client_row_s,
            "client_list": settings.ttl_client_list_s,
            "summary": settings.ttl_summary_s,
        },
        budget_s=settings.partial_budget_ms / 1000,
        versions=Versions(database_url, on_move=db.forget_shared_reads),
        dev=settings.dev,
    )
    env.globals["placeholder"] = registry.placeholder_of
    metrics = OpsMetrics()
    prometheus = PrometheusMetrics(db)
    redis_url = settings.cache_url if settings.cache_url.startswith(("redis://", "rediss://")) else None
    return AppState(
        settings,
        db,
        cache,
        env,
        registry,
        today or (lambda: datetime.now(settings.tz).date()),
        SharedOps(metrics, redis_url),
        prometheus,
        Reporter(settings.slow_request_ms, observers=[metrics.record, prometheus.observe]),
    )


def _middleware(settings: Settings, reporter: Reporter) -> list[Middleware]:
    return [
        Middleware(TimingMiddleware, reporter=reporter, budget_s=settings.request_budget_ms / 1000),
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=settings.session_secret(),
            session_cookie="billable_session",
            max_age=settings.session_hours * 3600,
            same_site="lax",
        ),
    ]


def _lifespan(state: AppState) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start: the pool, a check that the schema is current, the cache versions' listener, the /ops
    publisher and the dashboard's warming; stop them all, whatever happened."""
    db, versions, shared_ops = state.db, state.registry.versions, state.shared_ops

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        publisher = warming = None
        await db.connect()
        try:
            todo = await pending(db)
            if todo:
                raise RuntimeError(f"database needs migrations {[m.version for m in todo]}: run `billable migrate`")
            await versions.start()
            publisher = asyncio.create_task(shared_ops.publish_forever()) if shared_ops.shared else None
            if state.settings.warm_on_start:
                warming = asyncio.create_task(warm_dashboard(state.registry, state.today()))
            yield
        finally:
            for task in (publisher, warming):
                if task is not None:
                    task.cancel()
            await versions.stop()
            await shared_ops.close()
            await db.disconnect()
            await state.cache.close()

    return lifespan
