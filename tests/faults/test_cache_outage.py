"""Redis hung or killed under a running app: partials keep their answers and lose only speed."""

from __future__ import annotations

import time
from datetime import date

from starlette.testclient import TestClient

from tests.faults.conftest import OwnRedis
from tests.support import DataBuilder, OpenApp, server_timing, soup
from web.cache import PROBE_EVERY_S

CARD = "/partials/dashboard/mrr?period={}"


def timed_get(client: TestClient, url: str) -> tuple[float, str, str]:
    """Seconds taken, the card's figure and the cache outcome."""
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.text
    figure = soup(response.text).select_one(".figure").get_text()
    return time.perf_counter() - started, figure, server_timing(response.headers["server-timing"])["cache"]["desc"]


def test_a_hung_cache_is_skipped_after_one_short_wait_and_used_again_once_back(
    open_app: OpenApp, data: DataBuilder, own_redis: OwnRedis
) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    with open_app(cache_url=own_redis.url, cache_timeout_ms=250) as client:
        cache = client.app.state.billable.cache
        assert timed_get(client, CARD.format("this_month"))[1:] == ("€1,000", "miss")
        written = own_redis.keys()
        own_redis.hang()
        # The first call waits for its bound, then the cache is skipped: no request waits on it again.
        first = timed_get(client, CARD.format("last_month"))
        assert first[0] < 1.0, f"waited {first[0]:.2f} s for a hung cache"
        assert first[1] == "€1,000" and cache.down_since is not None
        later = [timed_get(client, CARD.format(period))[0] for period in ("this_quarter", "ytd", "last_12_months")]
        assert max(later) < 0.2, f"waited {max(later):.2f} s with the cache known to be down"
        own_redis.resume()
        deadline = time.monotonic() + PROBE_EVERY_S + 1
        while cache.down_since is not None:
            assert time.monotonic() < deadline, "the cache was not used again within 1 s of answering"
            time.sleep(0.02)
        timed_get(client, CARD.format("custom&from=2026-01-01&to=2026-01-31"))
        assert len(own_redis.keys()) == len(written) + 1  # written to again


def test_a_killed_cache_costs_no_answer(open_app: OpenApp, data: DataBuilder, own_redis: OwnRedis) -> None:
    acme = data.client("Acme")
    data.recurring(acme, 100_000, start=date(2026, 1, 1))
    with open_app(cache_url=own_redis.url) as client:
        own_redis.process.kill()
        own_redis.process.wait(5)
        took = [timed_get(client, CARD.format(period)) for period in ("this_month", "last_month")]
    assert [figure for _, figure, _ in took] == ["€1,000", "€1,000"]
    assert max(seconds for seconds, _, _ in took) < 1.0


def test_readiness_says_so_within_2_s_when_the_cache_hangs(open_app: OpenApp, own_redis: OwnRedis) -> None:
    with open_app(cache_url=own_redis.url) as client:
        assert client.get("/readyz").status_code == 200
        own_redis.hang()
        started = time.perf_counter()
        response = client.get("/readyz")
        took = time.perf_counter() - started
    assert (response.status_code, response.text) == (503, "not ready: cache unreachable")
    assert took < 2.0, f"/readyz took {took:.2f} s"
