"""Inputs of a partial with load_many asked for at the same time are loaded together (client rows:
three queries for any number), with the same figures as alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pytest
from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from tests.support import DataBuilder, server_timing, soup
from web import timing
from web.app import create_app
from web.dashboard.client_list import ROW, RowParams, client_row
from web.db import Database
from web.partial import NotFound, Partial, Prefill
from web.periods import Month, named_period, trailing_months
from web.queries import figures
from web.queries.scope import ClientScope
from web.settings import Settings


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
            assert ROW.load_many is not None
            rows = await ROW.load_many(test_db, [RowParams(i, period, {}) for i in [*ids, 424242]], today)
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
        assert row.client.id == client_id  # type: ignore[attr-defined]
        assert row == client_row(row.client, alone, series, {})  # type: ignore[attr-defined]


def test_a_page_of_the_list_computes_its_rows_before_they_are_asked_for(client: TestClient, data: DataBuilder) -> None:
    sam = data.user()
    for n in range(3):
        data.entry(data.client(f"Client {n}"), sam, date(2026, 11, 2 + n), 60, 10_000)
    shell = client.get("/")
    rows = [tr["hx-get"] for tr in soup(shell.text).select("#client-list tr[hx-get]")]
    assert len(rows) == 3
    for url in rows:
        reply = client.get(url)
        assert reply.status_code == 200
        # Computed with the list (found in the cache, or joined while its batch ran): no query of its own.
        assert server_timing(reply.headers["server-timing"])["db"]["desc"] == "0 queries"
        assert soup(reply.text).select_one("td.num").get_text() == "€100"


@dataclass(frozen=True)
class Item:
    id: int

    def query(self) -> dict[str, str]:
        return {"id": str(self.id)}


class Items:
    """An item partial that loads many at once, and a list partial naming items 1, 2 and 3, which
    are computed as the list is; item 2 does not exist. Records what each load was asked for."""

    def __init__(self, first_batch_fails: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.alone: list[int] = []
        self.first_batch_fails = first_batch_fails
        self.item: Partial[Item, str] = Partial(
            "test/item",
            lambda q, t: Item(int(q["id"])),
            self.load_item,
            lambda i: "item",
            lambda i: str(i.id),
            "stats",
            load_many=self.load_items,
        )
        self.listing: Partial[Item, list[int]] = Partial(
            "test/items",
            lambda q, t: Item(0),
            self.load_list,
            lambda i: "items",
            lambda i: "all",
            "stats",
            follow=lambda params, ids: Prefill(self.item, [Item(i) for i in ids]),
        )

    async def load_list(self, db: Database, params: Item, today: date) -> list[int]:
        return [1, 2, 3]

    async def load_item(self, db: Database, item: Item, today: date) -> str:
        self.alone.append(item.id)
        if item.id == 2:
            raise NotFound("There is no item 2.")
        return f"item {item.id}, alone"

    async def load_items(self, db: Database, items: Sequence[Item], today: date) -> list[str | None]:
        self.batches.append([item.id for item in items])
        if self.first_batch_fails and len(self.batches) == 1:
            await asyncio.sleep(0.05)  # long enough for a request to come and wait for it
            raise RuntimeError("the batch failed")
        return [None if item.id == 2 else f"item {item.id}, together" for item in items]


def test_inputs_asked_for_at_the_same_time_are_loaded_together_once_each(settings: Settings, today: date) -> None:
    items = Items()
    with TestClient(create_app(settings, today=lambda: today, extra_partials=[items.item])) as app:
        registry = app.app.state.billable.registry

        async def scenario() -> list[str]:
            asked = [Item(4), Item(1), Item(4), Item(3)]  # 4 twice: single flight within the batch
            return list(await asyncio.gather(*(registry.load_context(items.item, i, today) for i in asked)))

        loaded = app.portal.call(scenario)
    assert loaded == ["item 4, together", "item 1, together", "item 4, together", "item 3, together"]
    assert items.batches == [[4, 1, 3]]
    assert items.alone == []


def test_a_prefill_loads_together_what_is_not_cached_and_leaves_the_missing_to_their_own_load(
    settings: Settings, today: date
) -> None:
    items = Items()
    with TestClient(create_app(settings, today=lambda: today, extra_partials=[items.item, items.listing])) as app:
        registry = app.app.state.billable.registry

        async def scenario() -> list[str]:
            three = await registry.load_context(items.item, Item(3), today)  # cached before the list
            await registry.load_context(items.listing, Item(0), today)
            one = await registry.load_context(items.item, Item(1), today)
            with pytest.raises(NotFound, match="no item 2"):
                await registry.load_context(items.item, Item(2), today)
            return [one, three]

        assert app.portal.call(scenario) == ["item 1, together", "item 3, together"]
    assert items.batches[:2] == [[3], [1, 2]]  # 3 was fresh in the cache already when the list named it
    # 2 was missing from its batch: its own load said why. (Its request, when it came after that
    # answer, asked again: a batch of its own, then alone.)
    assert set(items.alone) == {2}
    assert all(batch == [2] for batch in items.batches[2:])


def test_a_failed_batch_fails_the_requests_waiting_for_it_and_a_retry_loads_again(
    settings: Settings, today: date
) -> None:
    items = Items(first_batch_fails=True)
    with TestClient(create_app(settings, today=lambda: today, extra_partials=[items.item, items.listing])) as app:
        registry = app.app.state.billable.registry

        async def scenario() -> str:
            await registry.load_context(items.listing, Item(0), today)
            with pytest.raises(RuntimeError, match="the batch failed"):
                await registry.load_context(items.item, Item(1), today)
            return str(await registry.load_context(items.item, Item(1), today))  # failures are not cached

        assert app.portal.call(scenario) == "item 1, together"
    assert items.batches == [[1, 2, 3], [1]]
