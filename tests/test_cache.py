"""The partial cache on a real Redis: shared by app processes, and an outage costs speed, not answers."""

from __future__ import annotations

from datetime import date

from starlette.testclient import TestClient

from tests.support import DataBuilder, server_timing, soup
from web.app import create_app
from web.settings import Settings

URL = "/partials/dashboard/mrr?period=this_month"


def outcome(response) -> str:  # type: ignore[no-untyped-def]
    return server_timing(response.headers["server-timing"])["cache"]["desc"]


def test_redis_cache_is_shared_between_app_instances(
    settings: Settings, data: DataBuilder, redis_url: str, today: date
) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    shared = settings.replace(cache_url=redis_url)
    with TestClient(create_app(shared, today=lambda: today)) as first:
        first.portal.call(first.app.state.billable.cache.clear)
        assert outcome(first.get(URL)) == "miss"
        with TestClient(create_app(shared, today=lambda: today)) as second:
            response = second.get(URL)
            assert outcome(response) == "hit"
            assert soup(response.text).select_one(".figure").get_text() == "€1,000"
        first.portal.call(first.app.state.billable.cache.clear)


def test_memory_caches_are_per_process(settings: Settings, data: DataBuilder, today: date) -> None:
    with TestClient(create_app(settings, today=lambda: today)) as first:
        assert outcome(first.get(URL)) == "miss"
        assert outcome(first.get(URL)) == "hit"
    with TestClient(create_app(settings, today=lambda: today)) as second:
        assert outcome(second.get(URL)) == "miss"


def test_an_unreachable_cache_still_serves_figures(settings: Settings, data: DataBuilder, today: date) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    # Nothing listens on port 1: every cache call fails quickly.
    down = settings.replace(cache_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(down, today=lambda: today)) as client:
        response = client.get(URL)
    assert response.status_code == 200
    assert outcome(response) == "miss"
    assert soup(response.text).select_one(".figure").get_text() == "€1,000"
