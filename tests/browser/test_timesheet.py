"""Staff workflow in Chromium: log time, then the dashboard shows it at once."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import wait_until_loaded
from tests.support import DataBuilder


def test_logged_time_shows_on_the_dashboard_without_waiting(page: Page, live_url: str, data: DataBuilder) -> None:
    acme = data.client("Acme Studios", rate_cents=12_000)
    data.client("Bolt Labs")
    page.goto(live_url + "/")
    wait_until_loaded(page)
    expect(page.locator("#card-revenue .figure")).to_have_text("€0")  # now cached

    page.click("nav >> text=Timesheet")
    page.select_option("#entry-client", str(acme))
    page.fill("#entry-duration", "2:30")
    page.fill("#entry-description", "Design review")
    page.click("button:text('Log time')")
    expect(page.locator("#entry-form .notice--ok")).to_contain_text("Logged 2:30 h")
    expect(page.locator("#week")).to_contain_text("Design review")  # the week reloaded itself
    expect(page.locator("#entry-client")).to_have_value(str(acme))  # ready for the next entry

    page.click("nav >> text=Dashboard")
    wait_until_loaded(page)
    expect(page.locator("#card-revenue .figure")).to_have_text("€300")
    expect(page.locator(f"#client-row-{acme} td.num").first).to_have_text("€300")


def test_errors_appear_next_to_the_field_and_keep_what_was_typed(page: Page, live_url: str, data: DataBuilder) -> None:
    acme = data.client("Acme Studios")
    page.goto(live_url + "/timesheet")
    page.select_option("#entry-client", str(acme))
    page.fill("#entry-duration", "25:00")
    page.fill("#entry-description", "Too long a day")
    page.click("button:text('Log time')")
    expect(page.locator("#entry-error-duration")).to_have_text("Duration must be between 1 minute and 24 hours.")
    expect(page.locator("#entry-description")).to_have_value("Too long a day")
    expect(page.locator("#entry-duration")).to_have_attribute("aria-invalid", "true")
    assert data.val("SELECT count(*) FROM timesheet_entries") == 0


def test_edit_and_delete_an_entry(page: Page, live_url: str, data: DataBuilder) -> None:
    acme = data.client("Acme Studios")
    page.goto(live_url + "/timesheet")
    page.select_option("#entry-client", str(acme))
    page.fill("#entry-duration", "1")
    page.click("button:text('Log time')")
    expect(page.locator("#week .actions button:text('Edit')")).to_have_count(1)
    page.click("#week button:text('Edit')")
    expect(page.locator("#entry-duration")).to_have_value("1:00")
    page.fill("#entry-duration", "1:45")
    page.click("button:text('Save changes')")
    expect(page.locator("#entry-form .notice--ok")).to_have_text("Entry saved.")
    expect(page.locator("#week")).to_contain_text("1:45 h")  # as typed, not 1.8 h
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#week button:text('Delete')")
    expect(page.locator("#timesheet-messages")).to_contain_text("Deleted 1:45 h for Acme Studios")
    expect(page.locator("#week .actions button")).to_have_count(0)


def test_a_double_click_or_a_repeated_enter_logs_the_time_once(page: Page, live_url: str, data: DataBuilder) -> None:
    acme = data.client("Acme Studios")
    page.goto(live_url + "/timesheet")
    page.select_option("#entry-client", str(acme))
    page.fill("#entry-duration", "1:15")
    page.dblclick("button:text('Log time')")
    expect(page.locator("#entry-form .notice--ok")).to_contain_text("Logged 1:15 h")
    page.fill("#entry-duration", "0:45")
    page.press("#entry-duration", "Enter")
    page.press("#entry-duration", "Enter")
    expect(page.locator("#entry-form .notice--ok")).to_contain_text("Logged 0:45 h")
    page.wait_for_timeout(300)  # a second request, had one been sent, would have landed by now
    assert data.val("SELECT array_agg(minutes ORDER BY minutes) FROM timesheet_entries") == [45, 75]
