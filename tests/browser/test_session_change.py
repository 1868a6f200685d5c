"""A session changed in another tab (signed out, or out and in again) loses nothing typed."""

from __future__ import annotations

from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import type_entry
from tests.support import DataBuilder


def stale_csrf_token(page: Page) -> None:
    """Signed out and in again elsewhere: this page's token is no longer the session's."""
    page.evaluate(
        """() => document.body.setAttribute("hx-headers:inherited", '{"X-CSRF-Token": "from-an-old-session"}')"""
    )


def test_a_session_changed_in_another_tab_costs_nothing_typed(page: Page, live_url: str, data: DataBuilder) -> None:
    type_entry(page, live_url, data.client("Acme Studios"), "1:15", "Kept across a new session")
    stale_csrf_token(page)
    page.click("button:text('Log time')")
    expect(page.locator("#entry-form .notice--ok")).to_contain_text("Logged 1:15 h")  # sent again, once
    assert data.val("SELECT count(*) FROM timesheet_entries") == 1

    page.fill("#entry-duration", "0:30")
    page.fill("#entry-description", "Typed while signed out")
    page.context.clear_cookies()  # signed out in another tab
    page.click("button:text('Log time')")
    expect(page.locator("#page-notice")).to_contain_text("This was not saved: you are signed out.")
    expect(page.locator("#entry-description")).to_have_value("Typed while signed out")
    expect(page.locator("#entry-duration")).to_have_value("0:30")
    assert data.val("SELECT count(*) FROM timesheet_entries") == 1


def test_signed_out_while_typing_the_page_stays_and_says_so(page: Page, live_url: str, data: DataBuilder) -> None:
    acme, bolt = data.client("Acme Studios"), data.client("Bolt Labs")
    page.goto(live_url + "/timesheet")
    page.select_option("#entry-client", str(acme))
    page.fill("#entry-description", "Typed before the session ended")
    page.context.clear_cookies()  # signed out in another tab
    page.select_option("#entry-client", str(bolt))  # asks for Bolt's services: 401
    expect(page.locator("#page-notice")).to_contain_text("You are signed out.")
    assert page.url == live_url + "/timesheet"
    expect(page.locator("#entry-description")).to_have_value("Typed before the session ended")


def test_a_confirmed_delete_sent_again_is_not_asked_twice(page: Page, live_url: str, data: DataBuilder) -> None:
    type_entry(page, live_url, data.client("Acme Studios"), "0:45")
    page.click("button:text('Log time')")
    expect(page.locator("#week .actions button:text('Delete')")).to_have_count(1)
    stale_csrf_token(page)
    questions: list[str] = []

    def answer(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.click("#week button:text('Delete')")
    expect(page.locator("#timesheet-messages")).to_contain_text("Deleted 0:45 h for Acme Studios")
    assert len(questions) == 1
    assert data.val("SELECT count(*) FROM timesheet_entries") == 0
