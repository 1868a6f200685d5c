"""The app as `billable bench` runs it: Billable itself, plus the baselines' routes under /bench.

Built the way any caller can extend the app (`web.app.create_app(extra_routes=...)`, and its
lifespan wrapped), so the app knows nothing of the benchmark. `uvicorn bench.app:create_app
--factory` reads the settings from the environment, and the copy of the data with plain indexes
from BILLABLE_BENCH_PLAIN_URL.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from bench import baselines
from web import app as billable
from web.auth.guard import PUBLIC, guarded
from web.settings import Settings

PLAIN_URL = "BILLABLE_BENCH_PLAIN_URL"  # set by `billable bench`: the baselines' copy with plain indexes

ROUTES: list[BaseRoute] = [
    Route("/bench/naive", guarded(baselines.naive, "admin"), name="bench_naive"),
    Route("/bench/gather", guarded(baselines.gather, "admin"), name="bench_gather"),
    Route("/bench/clear", guarded(baselines.clear_caches, "admin"), methods=["POST"], name="bench_clear"),
    Route("/bench/bare", guarded(baselines.bare, PUBLIC), name="bench_bare"),
    Route("/bench/reference", guarded(baselines.reference, "admin"), methods=["GET", "POST"], name="bench_reference"),
    Route("/bench/queries", guarded(baselines.query_count, "admin"), name="bench_queries"),
]


def create_app(
    settings: Settings | None = None, *, plain_url: str | None = None, today: Callable[[], date] | None = None
) -> Starlette:
    """Billable with the baselines; `plain_url` (default: from the environment) for the copy."""
    settings = settings or Settings.from_env()
    plain_url = os.environ.get(PLAIN_URL, "") if plain_url is None else plain_url
    app = billable.create_app(settings, today=today, extra_routes=ROUTES)
    # The baselines query through connections of their own (see bench/baselines.py).
    app.state.baselines = both = baselines.Baselines.of(settings, plain_url)
    app_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with app_lifespan(app):
            await both.connect()
            try:
                yield
            finally:
                await both.disconnect()

    app.router.lifespan_context = lifespan
    return app
