"""Client rows asked for at the same time are loaded together, with the same figures."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from anyio.from_thread import BlockingPortal

from tests.support import DataBuilder
from web import timing
from web.dashboard import row_batch
from web.dashboard.row_batch import ROWS
from web.db import Database
from web.periods import Month, named_period, trailing_months
from web.queries import figures
from web.queries.scope import ClientScope


def test_concurrent_rows_share_three_queries(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    sam = data.user()
    ids = [data.client(f"Client {n}", rate_cents=10_000 + n) for n in range(6)]
    for n, client_id in enumerate(ids):
        data.recurring(client_id, 10_000 * (n + 1), start=date(2025, 6, 1))
        data.entry(client_id, sam, date(2026, 10, 3 + n), 30 * (n + 1), 10_000 + n)
    today = date(2026, 11, 15)
    period = named_period("last_12_months", today)

    async def load_together() -> tuple[list[object], int]:
        request_timing = timing.RequestTiming(started=0.0)
        token = timing._current.set(request_timing)
        try:
            rows = await asyncio.gather(*(ROWS.load(test_db, i, period, today) for i in [*ids, 424242]))
        finally:
            timing._current.reset(token)
        return list(rows), request_timing.db_queries

    rows, queries = portal.call(load_together)
    assert queries == 3  # clients, their months, their MRR: for all seven at once
    assert rows[-1] is None  # no such client
    months = trailing_months(Month.of(period.end), 12)
    for client_id, row in zip(ids, rows, strict=False):
        alone = portal.call(figures.client_figures, test_db, client_id, period, today)
        series = portal.call(figures.monthly_revenue, test_db, ClientScope(client_id=client_id), months[0], months[-1])
        assert row.figures == alone  # type: ignore[attr-defined]
        assert row.series == series  # type: ignore[attr-defined]
        assert row.client.id == client_id  # type: ignore[attr-defined]


def test_prefetched_rows_are_kept_until_their_own_time_is_up(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(row_batch, "PREFETCH_KEPT_S", 0.2)
    ids = [data.client(f"Client {n}") for n in range(3)]
    today = date(2026, 11, 15)
    period = named_period("this_month", today)

    async def queries_of_rows_prefetched_after_a_reset() -> int:
        batcher = row_batch.RowBatcher()
        batcher.prefetch(test_db, ids, period, today)
        await asyncio.sleep(0.1)
        batcher.forget_prefetched()  # the first prefetch's timer is still set
        batcher.prefetch(test_db, ids, period, today)
        await asyncio.sleep(0.15)  # the first timer fires; the second prefetch has 0.1 s to go
        request_timing = timing.RequestTiming(started=0.0)
        token = timing._current.set(request_timing)
        try:
            rows = await asyncio.gather(*(batcher.load(test_db, i, period, today) for i in ids))
        finally:
            timing._current.reset(token)
        assert [row.client.id for row in rows if row is not None] == ids
        await asyncio.sleep(0.1)  # now its own time is up
        assert batcher._prefetched == {}
        return request_timing.db_queries

    assert portal.call(queries_of_rows_prefetched_after_a_reset) == 0  # served by the prefetch
