"""What the app holds for its lifetime, reachable from any request as `AppState.of(request)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cachetools import LRUCache
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request

from web.cache import GuardedCache
from web.db import Database
from web.ops.prometheus import PrometheusMetrics
from web.ops.shared import SharedOps
from web.registry import Registry
from web.settings import Settings
from web.timing import Reporter

SESSIONS_REMEMBERED = 10_000  # sessions checked recently; one forgotten is checked again
MEMO_CHARS = 8 * 2**20  # rendered pages by the million characters; a few thousand sessions' worth


def _chars(value: Any) -> int:
    return len(value) if isinstance(value, str) else 1


@dataclass
class AppState:
    settings: Settings
    db: Database
    cache: GuardedCache
    env: Environment
    registry: Registry
    today: Callable[[], date]  # in BILLABLE_TIMEZONE; tests may fix it
    shared_ops: SharedOps  # this process's /ops figures, and everyone's through Redis
    prometheus: PrometheusMetrics
    reporter: Reporter  # where request timings go, and those of partials streamed within a page
    # small per-process results that change only with the cache versions (the managers list, the
    # dashboard shell's content); keyed by anything hashable that includes the versions
    memo: LRUCache[object, Any] = field(default_factory=lambda: LRUCache(MEMO_CHARS, getsizeof=_chars))
    # session token -> its last check (web.auth.guard.SessionCheck): see web.auth.guard.current_user
    session_checks: LRUCache[str, Any] = field(default_factory=lambda: LRUCache(SESSIONS_REMEMBERED))

    @staticmethod
    def of(request: Request) -> AppState:
        return AppState.of_app(request.app)

    @staticmethod
    def of_app(app: Starlette) -> AppState:
        state: AppState = app.state.billable
        return state
