"""An admin edits a client on its page in Chromium: every part that shows the client follows."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support import DataBuilder


def test_saving_a_client_updates_its_head_and_history_in_place(page: Page, live_url: str, data: DataBuilder) -> None:
    acme = data.client("Acme Studios", status="lead")
    page.goto(f"{live_url}/clients/{acme}?period=last_month")
    expect(page.locator("#client-history")).to_contain_text("No changes recorded yet.")
    page.evaluate("window.notReloaded = true")  # gone if the browser loads the page again

    page.fill("#client-name", "Acme Studios International")
    page.select_option("#client-status", "active")
    page.click("button:text('Save client')")

    expect(page.locator("#client-form .notice--ok")).to_have_text("Saved.")
    expect(page.locator("#client-head h1")).to_have_text("Acme Studios International")
    expect(page.locator("#client-head .status")).to_have_text("active")
    expect(page.locator("#client-history")).to_contain_text(
        "changed client: Name Acme Studios → Acme Studios International; Status Lead → Active"
    )
    # The head kept the period the page was showing, and this is still the same page.
    expect(page.locator("#client-period")).to_have_value("last_month")
    assert page.evaluate("window.notReloaded") is True
