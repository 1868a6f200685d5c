"""Where a request's time went: database, render and cache, reported as headers and logs.

A `RequestTiming` lives in a context variable for the length of one request. The database layer
and the partial pipeline add to it; `TimingMiddleware` turns it into `Server-Timing` and
`X-Response-Time` headers and logs slow requests with the partial's name.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("billable.timing")


@dataclass
class RequestTiming:
    started: float
    db_ms: float = 0.0
    db_queries: int = 0
    render_ms: float = 0.0
    cache: str | None = None  # "hit" | "miss", for partial responses
    partial: str | None = None

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def server_timing(self, total_ms: float) -> str:
        parts = [f"total;dur={total_ms:.2f}"]
        if self.db_queries or self.partial:
            parts.append(f'db;dur={self.db_ms:.2f};desc="{self.db_queries} queries"')
        if self.render_ms:
            parts.append(f"render;dur={self.render_ms:.2f}")
        if self.cache:
            parts.append(f'cache;desc="{self.cache}"')
        return ", ".join(parts)


_current: contextvars.ContextVar[RequestTiming | None] = contextvars.ContextVar("timing", default=None)


def current() -> RequestTiming | None:
    return _current.get()


@contextmanager
def measure_db() -> Iterator[None]:
    """Count one query and its duration against the current request, if any."""
    try:
        with _measure("db_ms"):
            yield
    finally:
        timing = _current.get()
        if timing is not None:
            timing.db_queries += 1


@contextmanager
def measure_render() -> Iterator[None]:
    with _measure("render_ms"):
        yield


@contextmanager
def _measure(field: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timing = _current.get()
        if timing is not None:
            setattr(timing, field, getattr(timing, field) + (time.perf_counter() - started) * 1000)


class TimingMiddleware:
    """Adds X-Response-Time and Server-Timing to every HTTP response; logs slow ones."""

    def __init__(self, app: ASGIApp, slow_ms: float) -> None:
        self.app = app
        self.slow_ms = slow_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timing = RequestTiming(started=time.perf_counter())
        token = _current.set(timing)
        status = 500

        async def send_with_timing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                total = timing.elapsed_ms()
                headers = MutableHeaders(scope=message)
                headers["X-Response-Time"] = f"{total:.2f}ms"
                headers.append("Server-Timing", timing.server_timing(total))
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            _current.reset(token)
            total = timing.elapsed_ms()
            if total >= self.slow_ms:
                log.warning(
                    "slow request %s %s partial=%s status=%s total=%.1fms db=%.1fms/%dq render=%.1fms cache=%s",
                    scope["method"],
                    scope["path"],
                    timing.partial or "-",
                    status,
                    total,
                    timing.db_ms,
                    timing.db_queries,
                    timing.render_ms,
                    timing.cache or "-",
                )
