"""The partial cache on a real Redis: shared by app processes, and an outage costs speed, not answers."""

from __future__ import annotations

import time
from datetime import date

from tests.support import DataBuilder, OpenApp, server_timing, soup

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
        time.sleep(1.1)  # past the TTL
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
