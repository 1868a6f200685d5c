"""Request coalescing for client rows: rows asked for within a few milliseconds of each other are
loaded together, with three queries for all of them instead of three each.

A browser asks for a page's 50 rows at once, but six at a time (one per connection), so a window
catches a few. A page of the client list does better: it names its rows before the browser asks
for any, and the registry computes them in one batch of `load_many` (see Partial.follow).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from web.db import Database
from web.periods import Period
from web.queries import clients, figures
from web.queries.clients import ClientSummary
from web.queries.totals import Figures, MonthRevenue

WINDOW_S = 0.002


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

    async def load(self, db: Database, client_id: int, period: Period, today: date) -> RowData | None:
        """The client's row data, or None when there is no such client."""
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

    async def load_many(self, db: Database, ids: list[int], period: Period, today: date) -> dict[int, RowData]:
        """The rows of these clients at once, by id; an id that names no client is left out."""
        # Side by side: the months of an id that names no client are read and left unused.
        found, months = await asyncio.gather(
            clients.get_clients(db, ids), figures.client_months(db, ids, period, today)
        )
        return {i: RowData(found[i], months[i].figures, months[i].series) for i in ids if i in found}

    async def _run(self, batch: _Batch) -> None:
        try:
            rows = await self.load_many(batch.db, sorted(batch.waiting), batch.period, batch.today)
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
                if client_id in rows:
                    future.set_result(rows[client_id])
                else:
                    future.set_exception(LookupError(client_id))


ROWS = RowBatcher()
