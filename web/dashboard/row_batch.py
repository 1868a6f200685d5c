"""Request coalescing for client rows: rows asked for within a few milliseconds of each other are
loaded together, with three queries for all of them instead of three each.

A browser asks for a page's 50 rows at once, but six at a time (one per connection), so a window
catches a few. The client list knows its rows before the browser asks for any: it `prefetch`es
them, one batch for the whole page, and the rows' requests then wait for that batch's results.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from web.db import Database
from web.db import versions as cache_versions
from web.periods import Period
from web.queries import clients, figures
from web.queries.clients import ClientSummary
from web.queries.figures import Figures, MonthRevenue

WINDOW_S = 0.002
PREFETCH_KEPT_S = 10.0  # a page's rows are asked for within a second of the list arriving


@dataclass
class _Batch:
    db: Database
    period: Period
    today: date
    waiting: dict[int, list[asyncio.Future[RowData]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RowData:
    client: ClientSummary
    figures: Figures
    series: list[MonthRevenue]


class RowBatcher:
    def __init__(self) -> None:
        self._open: dict[tuple[int, Period, date], _Batch] = {}
        self._running: set[asyncio.Task[None]] = set()  # asyncio keeps only weak references
        # Prefetched rows by (database, period, today, generation): a write moves the generation, so
        # no row asked for after a write gets figures loaded before it.
        self._prefetched: dict[tuple[int, Period, date, int], dict[int, asyncio.Future[RowData]]] = {}

    def prefetch(self, db: Database, client_ids: list[int], period: Period, today: date) -> None:
        """Start loading these rows now, in one batch, for the requests about to ask for them."""
        key = (id(db), period, today, cache_versions.generation())
        loop = asyncio.get_running_loop()
        known = self._prefetched.get(key)
        if known is None:
            known = self._prefetched[key] = {}
            loop.call_later(PREFETCH_KEPT_S, self._expire, key, known)
        batch = _Batch(db, period, today)
        for client_id in client_ids:
            if client_id not in known:
                future: asyncio.Future[RowData] = loop.create_future()
                # Retrieved here: an unrequested row's failure is nobody's error to report.
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
                known[client_id] = future
                batch.waiting[client_id] = [future]
        if batch.waiting:
            self._start(batch)

    def forget_prefetched(self) -> None:
        self._prefetched.clear()

    def _expire(self, key: tuple[int, Period, date, int], rows: dict[int, asyncio.Future[RowData]]) -> None:
        # Only the rows this timer was set for: after forget_prefetched(), a later prefetch under the
        # same key has rows of its own, which an earlier timer dropped, sending their requests back
        # to batches of a few rows each (the benchmark's cold passes, ten seconds apart).
        if self._prefetched.get(key) is rows:
            del self._prefetched[key]

    async def load(self, db: Database, client_id: int, period: Period, today: date) -> RowData | None:
        """The client's row data, or None when there is no such client."""
        prefetched = self._prefetched.get((id(db), period, today, cache_versions.generation()), {}).get(client_id)
        if prefetched is not None:
            try:
                return await asyncio.shield(prefetched)  # shared: one request giving up must not cancel it
            except LookupError:
                return None
            except Exception:  # noqa: S110 - the whole batch failed; this row tries on its own below
                pass
        key = (id(db), period, today)
        batch = self._open.get(key)
        if batch is None:
            batch = self._open[key] = _Batch(db, period, today)
            asyncio.get_running_loop().call_later(WINDOW_S, self._close, key)
        future: asyncio.Future[RowData] = asyncio.get_running_loop().create_future()
        batch.waiting.setdefault(client_id, []).append(future)
        try:
            return await future
        except LookupError:
            return None

    def _close(self, key: tuple[int, Period, date]) -> None:
        self._start(self._open.pop(key))

    def _start(self, batch: _Batch) -> None:
        task = asyncio.ensure_future(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: _Batch) -> None:
        ids = sorted(batch.waiting)
        try:
            # Side by side: the months of an id that names no client are read and left unused.
            found, months = await asyncio.gather(
                clients.get_clients(batch.db, ids), figures.client_months(batch.db, ids, batch.period, batch.today)
            )
        except Exception as exc:  # every waiting request fails the same way, and shows its error state
            for futures in batch.waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        for client_id, futures in batch.waiting.items():
            for future in futures:
                if future.done():
                    continue
                if client_id in found:
                    future.set_result(RowData(found[client_id], months[client_id].figures, months[client_id].series))
                else:
                    future.set_exception(LookupError(client_id))


ROWS = RowBatcher()
