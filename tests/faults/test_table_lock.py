"""A table locked for longer than every budget, under 200 concurrent requests, over real sockets."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx2
import pytest
from anyio.from_thread import BlockingPortal

from tests.support import PASSWORD, DataBuilder, soup
from web.settings import Settings

BUDGET_S = 1.0
LOCKED_S = 4.0  # scaled down from the 30 s: four budgets and more


@pytest.fixture
def settings(settings: Settings) -> Settings:
    ms = int(BUDGET_S * 1000)
    return settings.replace(partial_budget_ms=ms, request_budget_ms=ms, db_wait_ms=ms)


def signed_in(base: str, email: str) -> dict[str, str]:
    login = httpx2.get(base + "/login")
    token = soup(login.text).select_one("[name=csrf_token]")["value"]
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    return dict(httpx2.post(base + "/login", data=form, cookies=login.cookies).cookies)


def test_a_long_lock_costs_each_request_its_budget_at_most(
    live_url: str, admin: str, data: DataBuilder, locked_services: threading.Event, portal: BlockingPortal
) -> None:
    for n in range(5):
        data.client(f"Client {n}")
    cookies = signed_in(live_url, admin)
    urls = [
        "/partials/dashboard/mrr?period=this_month",  # reads the locked table
        "/partials/dashboard/clients?period=this_month",  # does not
        "/timesheet",  # a page, whose service list reads it
        "/clients/1",
    ]
    locked_at = time.monotonic()

    async def burst() -> list[tuple[float, float, int]]:
        limits = httpx2.Limits(max_connections=200)
        async with httpx2.AsyncClient(base_url=live_url, cookies=cookies, timeout=30, limits=limits) as client:

            async def one(n: int) -> tuple[float, float, int]:
                started = time.perf_counter()
                response = await client.get(urls[n % len(urls)])
                in_app = float(response.headers["x-response-time"].removesuffix("ms")) / 1000
                return time.perf_counter() - started, in_app, response.status_code

            return await asyncio.gather(*(one(n) for n in range(200)))

    answers = portal.call(burst)  # not asyncio.run: the browser tests leave a loop in this thread
    assert time.monotonic() - locked_at < LOCKED_S, "the burst outlasted the lock: make it shorter"
    while time.monotonic() - locked_at < LOCKED_S:
        time.sleep(0.05)
    locked_services.set()
    slowest_in_app = max(in_app for _, in_app, _ in answers)
    slowest_seen = max(seen for seen, _, _ in answers)
    statuses = {status for _, _, status in answers}
    assert slowest_in_app < BUDGET_S + 1, f"a request took {slowest_in_app:.2f} s in the app behind the lock"
    # As the client saw it: this test's 200 connections share the process (and its GIL) with the
    # server, which adds about a second to the slowest of them here.
    assert slowest_seen < BUDGET_S + 2, f"a request took {slowest_seen:.2f} s behind the lock"
    assert statuses <= {200, 503, 504}, statuses  # refused or served, never a 500
    released = time.monotonic()
    while httpx2.get(live_url + urls[0], cookies=cookies).status_code != 200:
        assert time.monotonic() - released < 1.0, "not back within 1 s of the lock's release"
