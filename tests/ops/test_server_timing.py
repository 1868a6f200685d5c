"""Server-Timing's figures for a request whose queries run side by side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from anyio.from_thread import BlockingPortal

from web import timing
from web.timing import RequestTiming


async def _query(seconds: float) -> None:
    with timing.measure_db("SELECT pg_sleep(…)"):
        await asyncio.sleep(seconds)


async def _measured(work: Callable[[], Awaitable[None]]) -> tuple[RequestTiming, float]:
    """Run `work` as one request's: its timing, and the request's total in ms."""
    measured = RequestTiming(started=time.perf_counter())
    token = timing._current.set(measured)
    try:
        await work()
    finally:
        timing._current.reset(token)
    return measured, measured.elapsed_ms()


async def _side_by_side() -> None:
    await asyncio.gather(_query(0.05), _query(0.05))  # side by side: 50 ms of database time, not 100
    await _query(0.02)


def test_queries_side_by_side_count_their_overlap_once(portal: BlockingPortal) -> None:
    measured, total_ms = portal.call(_measured, _side_by_side)
    assert measured.db_queries == 3
    assert 70 <= measured.db_ms <= total_ms
    assert 'desc="3 queries"' in measured.server_timing(total_ms)
    assert 'desc="1 query"' in RequestTiming(started=0, db_queries=1).server_timing(1.0)
    # Answered while a query still runs (a partial past its budget): the running stretch counts.
    running = RequestTiming(started=0, db_running=1, db_busy_since=time.perf_counter() - 0.05)
    assert float(running.server_timing(60.0).split("db;dur=")[1].split(";")[0]) >= 50


async def _render_while_a_query_runs() -> None:
    def render() -> None:
        with timing.measure_render():
            time.sleep(0.04)  # a render holds the event loop: the query's answer waits behind it

    query = asyncio.create_task(_query(0.03))
    await asyncio.sleep(0)  # the query is on its way
    render()
    await query
    await _query(0.01)


def test_database_and_render_time_never_add_up_past_the_total(portal: BlockingPortal) -> None:
    measured, total_ms = portal.call(_measured, _render_while_a_query_runs)
    assert measured.render_ms >= 40
    assert measured.db_ms >= 10  # the query after the render
    # Counted side by side, the first query's 40 ms behind the render would be both db and render.
    assert measured.db_ms + measured.render_ms <= total_ms, (measured.db_ms, measured.render_ms, total_ms)
