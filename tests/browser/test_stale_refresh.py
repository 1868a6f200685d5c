"""Figures served from an expired cache entry refresh in place, in a real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import wait_until_loaded
from tests.conftest import LiveServer
from tests.dashboard.test_shell import make_clients
from tests.support import DataBuilder, later
from web.settings import Settings

# Counts elements in a loading state added to the page from now on (a skeleton flashing back).
COUNT_SKELETONS = """() => {
  window.skeletonsAdded = 0;
  new MutationObserver((mutations) => {
    for (const m of mutations) for (const n of m.addedNodes) {
      if (n.nodeType === 1 && (n.matches("[aria-busy=true]") || n.querySelector("[aria-busy=true]"))) {
        window.skeletonsAdded++;
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Longer than the 2 s after which a stale partial asks again: what that brings is fresh.
    return settings.replace(ttl_client_list_s=3, ttl_client_row_s=3)


def test_a_stale_list_refreshes_with_its_rows_in_one_request_and_no_skeleton(
    page: Page, live_server: LiveServer, data: DataBuilder
) -> None:
    live_url = live_server.url
    make_clients(data, 6)
    page.goto(live_url + "/")
    wait_until_loaded(page)
    later(live_server.app, 3.1)  # the list's and rows' cache entries expire
    asked: list[str] = []

    def note(request: Request) -> None:
        if "/partials/dashboard/client-" in request.url:
            asked.append(request.url.removeprefix(live_url).split("?")[0])

    page.reload()
    wait_until_loaded(page)
    expect(page.locator("#client-list .section-title .badge")).to_have_text("Updating…")  # old figures, at once
    page.evaluate(COUNT_SKELETONS)
    page.on("request", note)
    expect(page.locator("[data-stale]")).to_have_count(0, timeout=10_000)  # the list refreshed itself
    expect(page.locator("#client-list tbody tr td.num")).not_to_have_count(0)
    assert asked == ["/partials/dashboard/client-list"]  # its rows came with it, none asked on its own
    assert page.evaluate("window.skeletonsAdded") == 0
