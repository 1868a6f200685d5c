"""The partial cache on a real Redis: shared by app processes, and an outage costs speed, not answers."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from anyio.from_thread import BlockingPortal

from tests.support import DataBuilder, OpenApp, later, server_timing, soup
from web.cache import REDIS_CONNECTIONS, make_cache

URL = "/partials/dashboard/mrr?period=this_month"


def outcome(response) -> str:  # type: ignore[no-untyped-def]
    return server_timing(response.headers["server-timing"])["cache"]["desc"]


def test_redis_cache_is_shared_between_app_instances(open_app: OpenApp, data: DataBuilder, redis_url: str) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    with open_app(cache_url=redis_url) as first:
        first.portal.call(first.app.state.billable.cache.clear)
        assert outcome(first.get(URL)) == "miss"
        with open_app(cache_url=redis_url) as second:
            response = second.get(URL)
            assert outcome(response) == "hit"
            assert soup(response.text).select_one(".figure").get_text() == "€1,000"
        first.portal.call(first.app.state.billable.cache.clear)


def test_a_fresh_entry_is_served_without_asking_the_cache_again(open_app: OpenApp, redis_url: str) -> None:
    with open_app(cache_url=redis_url) as client:
        state = client.app.state.billable
        client.portal.call(state.cache.clear)
        assert outcome(client.get(URL)) == "miss"
        client.portal.call(state.cache.clear)  # behind the registry's back
        assert outcome(client.get(URL)) == "hit"  # this process still holds it, fresh: no round trip
        state.registry.forget()
        assert outcome(client.get(URL)) == "miss"
        client.portal.call(state.cache.clear)


def test_memory_caches_are_per_process(open_app: OpenApp) -> None:
    with open_app() as first:
        assert outcome(first.get(URL)) == "miss"
        assert outcome(first.get(URL)) == "hit"
    with open_app() as second:
        assert outcome(second.get(URL)) == "miss"


def test_an_unreachable_cache_still_serves_figures(open_app: OpenApp, data: DataBuilder) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    # Nothing listens on port 1: every cache call fails quickly.
    with open_app(cache_url="redis://127.0.0.1:1/0") as client:
        response = client.get(URL)
    assert response.status_code == 200
    assert outcome(response) == "miss"
    assert soup(response.text).select_one(".figure").get_text() == "€1,000"


def test_an_expired_entry_is_served_stale_while_it_is_refreshed(open_app: OpenApp, data: DataBuilder) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    with open_app(ttl_stats_s=1) as client:
        assert outcome(client.get(URL)) == "miss"
        data.recurring(acme, 50_000, start=date(2026, 1, 1))  # changed behind the cache's back
        later(client.app, 1.1)  # past the TTL
        stale = client.get(URL)
        assert outcome(stale) == "stale"
        card = soup(stale.text).select_one("#card-mrr")
        assert card.select_one(".figure").get_text() == "€1,000"  # the old figure, at once
        assert "Updating" in card.get_text()
        assert (card["hx-get"], card["hx-trigger"]) == (URL, "load delay:2s")  # asks again shortly
        # The refresh started by the stale answer fills the cache (it runs in the background).
        for _ in range(100):
            fresh = client.get(URL)
            if outcome(fresh) != "stale":
                break
            time.sleep(0.02)
        assert outcome(fresh) == "hit"
        assert soup(fresh.text).select_one(".figure").get_text() == "€1,500"
        assert not soup(fresh.text).select_one("#card-mrr").has_attr("hx-trigger")


def test_the_memory_cache_keeps_a_bounded_number_of_entries_until_their_ttl(portal: BlockingPortal) -> None:
    async def run() -> list[object]:
        cache = make_cache("memory://", 0.25, memory_entries=2)
        await cache.multi_set([("a", 1), ("b", 2)], ttl=60)
        assert await cache.get("a") == 1  # now the most recently used
        await cache.multi_set([("c", 3)], ttl=60)
        await cache.multi_set([("brief", 4)], ttl=0.05)
        kept = [await cache.get(key) for key in ("a", "b", "c", "brief")]
        await asyncio.sleep(0.06)
        kept.append(await cache.get("brief"))
        # No timer per entry on the loop (aiocache's own keeps one, holding its request's context).
        assert not getattr(cache.backend, "_handlers", {})
        return kept

    assert portal.call(run) == [None, None, 3, 4, None]  # a, then b, pushed out; brief expired


def test_more_calls_than_redis_connections_wait_for_one(portal: BlockingPortal, redis_url: str) -> None:
    """redis-py's default pool refused the 101st call in flight (MaxConnectionsError), which tripped
    the breaker while Redis was fine: under 100 users the cache flapped every few seconds."""

    async def run() -> tuple[list[object], float | None]:
        cache = make_cache(redis_url, 5.0, memory_entries=0)
        try:
            await cache.multi_set([("many-calls", 1)], ttl=60)
            values = await asyncio.gather(*(cache.get("many-calls") for _ in range(REDIS_CONNECTIONS * 4)))
            return list(values), cache.down_since
        finally:
            await cache.close()

    values, down_since = portal.call(run)
    assert values == [1] * (REDIS_CONNECTIONS * 4)
    assert down_since is None  # never skipped
