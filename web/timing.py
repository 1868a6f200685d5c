"""Where a request's time went: database, render and cache, reported as headers and logs.

A `RequestTiming` lives in a context variable for the length of one request. The database layer
and the partial pipeline add to it; `TimingMiddleware` turns it into `Server-Timing` and
`X-Response-Time` headers and logs slow requests with the partial's name.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.ops.metrics import RequestRecord

log = logging.getLogger("billable.requests")


@dataclass
class RequestTiming:
    started: float
    # Time with at least one of the request's queries running: queries it runs side by side
    # overlap, and their sum could exceed the request's own time.
    db_ms: float = 0.0
    db_queries: int = 0
    db_running: int = 0
    db_busy_since: float = 0.0
    render_ms: float = 0.0
    cache: str | None = None  # "hit" | "miss" | "stale", for partial responses
    partial: str | None = None
    slowest_query: str | None = None
    slowest_query_ms: float = 0.0
    rendering: bool = False  # inside measure_render

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def db_busy_ms(self) -> float:
        """db_ms, and the stretch still running when the request answers (a partial past its budget)."""
        if not self.db_running:
            return self.db_ms
        return self.db_ms + (time.perf_counter() - self.db_busy_since) * 1000

    def server_timing(self, total_ms: float) -> str:
        queries = "1 query" if self.db_queries == 1 else f"{self.db_queries} queries"
        parts = [f"total;dur={total_ms:.2f}", f'db;dur={self.db_busy_ms():.2f};desc="{queries}"']
        if self.render_ms:
            parts.append(f"render;dur={self.render_ms:.2f}")
        if self.cache:
            parts.append(f'cache;desc="{self.cache}"')
        return ", ".join(parts)


_current: contextvars.ContextVar[RequestTiming | None] = contextvars.ContextVar("timing", default=None)


def current() -> RequestTiming | None:
    return _current.get()


# Budgets: a deadline (time.monotonic()) that the database layer bounds every wait and query by.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


@contextmanager
def within(seconds: float, *, own: bool = False) -> Iterator[None]:
    """The database work inside ends within `seconds` from now: each wait for a connection and each
    query gets what is left (web.db). Nested, the nearer deadline holds, unless `own`: work that
    outlives the request that started it (a partial's computation, which fills the cache) has a
    budget of its own."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if own or outer is None else min(deadline, outer))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float | None:
    """What is left of the current budget; None outside any."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def measure_db(sql: str) -> Iterator[None]:
    """Count one query against the current request, if any, and the time the database was busy."""
    timing = _current.get()
    started = time.perf_counter()
    if timing is not None:
        if timing.db_running == 0:
            timing.db_busy_since = started
        timing.db_running += 1
    try:
        yield
    finally:
        if timing is not None:
            now = time.perf_counter()
            elapsed = (now - started) * 1000
            timing.db_running -= 1
            if timing.db_running == 0:
                timing.db_ms += (now - timing.db_busy_since) * 1000
            timing.db_queries += 1
            if elapsed > timing.slowest_query_ms:
                timing.slowest_query, timing.slowest_query_ms = " ".join(sql.split())[:300], elapsed


@contextmanager
def measure_render() -> Iterator[None]:
    """Time rendering against the current request, if any. A render inside a render (a template
    calling placeholder()) is part of the outer one's time, not added again.

    Rendering holds the event loop, so a query of the request's still in flight meanwhile is not
    what the request waits for: its stretch pauses for the render and resumes after. Database and
    render time never overlap, and their sum never exceeds the request's total (the issue saw db +
    render at 715 ms of a 370 ms request)."""
    timing = _current.get()
    if timing is None or timing.rendering:
        yield
        return
    started = time.perf_counter()
    if timing.db_running:
        timing.db_ms += (started - timing.db_busy_since) * 1000
    timing.rendering = True
    try:
        yield
    finally:
        ended = time.perf_counter()
        timing.rendering = False
        timing.render_ms += (ended - started) * 1000
        if timing.db_running:
            timing.db_busy_since = ended


Observer = Callable[[RequestRecord], None]


@dataclass(frozen=True)
class Reporter:
    """Where a finished request's timing goes: one JSON log line (at warning level when slow, with
    its slowest query) and the observers (the /ops statistics and the Prometheus metrics). A
    partial streamed within a page is reported here too, as if it had been a request of its own."""

    slow_ms: float
    observers: Sequence[Observer] = ()

    def report(self, timing: RequestTiming, *, method: str, name: str, path: str, query: str, status: int) -> None:
        record = RequestRecord(
            at=time.time(),
            partial=timing.partial or name,
            path=path,
            query=query[:500],
            status=status,
            total_ms=timing.elapsed_ms(),
            db_ms=timing.db_busy_ms(),
            render_ms=timing.render_ms,
            queries=timing.db_queries,
            cache=timing.cache,
            slowest_query=timing.slowest_query,
            slowest_query_ms=timing.slowest_query_ms,
        )
        slow = record.total_ms >= self.slow_ms
        level = logging.WARNING if slow else logging.INFO
        if log.isEnabledFor(level):  # building the line costs more than the rest of a cached request
            # vars(), not asdict(): the fields are plain values, and asdict's deep copy was a seventh
            # of a streamed page's time (200 rows, all cached)
            line = {k: v for k, v in vars(record).items() if v is not None and (slow or not k.startswith("slowest"))}
            line.update(method=method, slow=slow)
            log.log(level, json.dumps(line, default=_rounded))
        for observe in self.observers:
            observe(record)


@contextmanager
def measuring(timing: RequestTiming) -> Iterator[RequestTiming]:
    """Count the database and render time of the code inside against `timing`."""
    token = _current.set(timing)
    try:
        yield timing
    finally:
        _current.reset(token)


class TimingMiddleware:
    """Adds X-Response-Time and Server-Timing to every HTTP response, then hands the timing to the
    reporter (web.timing.Reporter)."""

    def __init__(self, app: ASGIApp, reporter: Reporter, budget_s: float) -> None:
        self.app = app
        self.reporter = reporter
        self.budget_s = budget_s  # a request's own database work: its user check, a page, a write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        timing = RequestTiming(started=time.perf_counter())
        status = 500

        async def send_with_timing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                total = timing.elapsed_ms()
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-response-time", f"{total:.2f}ms".encode()),
                    (b"server-timing", timing.server_timing(total).encode()),
                ]
            await send(message)

        try:
            with measuring(timing), within(self.budget_s):
                await self.app(scope, receive, send_with_timing)
        finally:
            self.reporter.report(
                timing,
                method=scope["method"],
                name=_page_name(scope),
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                status=status,
            )


def _page_name(scope: Scope) -> str:
    """A request's name in the logs and statistics, by route: "page /login" for reading it, "POST
    /login" for a write to it (signing in takes Argon2's 0.7 s, and would swamp the page's times)."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    method = scope["method"]
    return f"page {route.path}" if method in ("GET", "HEAD") else f"{method} {route.path}"


def _rounded(value: object) -> object:
    return str(value)
