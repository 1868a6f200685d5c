"""Cache warming: after start, the default dashboard is served from the cache without computing."""

from __future__ import annotations

import logging

import pytest

from tests.support import TODAY, DataBuilder, OpenApp, server_timing, soup, wait_until
from web.dashboard import CARDS


def test_the_default_dashboard_is_cached_after_start(
    open_app: OpenApp, data: DataBuilder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="billable.warming")
    sam = data.user("Sam Staff")
    clients = [data.client(f"Client {n}") for n in range(3)]
    for client_id in clients:
        data.recurring(client_id, 10_000, start=TODAY.replace(day=1))
    data.entry(clients[0], sam, TODAY, 60, 6_000)
    with open_app(warm_on_start=True) as client:
        wait_until(lambda: any("dashboard warmed" in r.getMessage() for r in caplog.records), "warming finished", 10)
        # Warm, every part comes in place in the shell (each names itself in an empty template
        # when the page shows its waterfall).
        parts = soup(client.get("/?timings=1").text).select("template[data-in-place]")
        assert len(parts) == len(CARDS) + 3  # the cards, and the rows of the list shown with the shell
        for part in parts:
            timing = server_timing(part["data-server-timing"])
            assert timing["cache"]["desc"] == "hit", part["data-in-place"]
            assert timing["db"]["desc"] == "0 queries", part["data-in-place"]


def test_warming_failure_is_logged_not_raised(
    open_app: OpenApp, data: DataBuilder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="billable.warming")
    data.val("ALTER TABLE status_month_totals RENAME TO status_month_totals_away")
    try:
        with open_app(warm_on_start=True) as client:
            wait_until(lambda: any("dashboard warmed" in r.getMessage() for r in caplog.records), "warming ended", 10)
            assert client.get("/healthz").status_code == 200
    finally:
        data.val("ALTER TABLE status_month_totals_away RENAME TO status_month_totals")
    messages = [r.getMessage() for r in caplog.records if r.name == "billable.warming"]
    assert "warming dashboard/revenue failed; its first visitor computes it instead" in messages
    assert any(m.startswith("dashboard warmed") and m.endswith(", 5 failed") for m in messages), messages
