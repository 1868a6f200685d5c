"""Staff workflow in Chromium: log time, then the dashboard shows it at once."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import type_entry, wait_until_loaded
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
    type_entry(page, live_url, data.client("Acme Studios"), "25:00", "Too long a day")
    page.click("button:text('Log time')")
    expect(page.locator("#entry-error-duration")).to_have_text("Duration must be between 1 minute and 24 hours.")
    expect(page.locator("#entry-description")).to_have_value("Too long a day")
    expect(page.locator("#entry-duration")).to_have_attribute("aria-invalid", "true")
    assert data.val("SELECT count(*) FROM timesheet_entries") == 0


def test_the_keyboard_stays_in_the_form_after_logging_and_deleting(
    page: Page, live_url: str, data: DataBuilder
) -> None:
    type_entry(page, live_url, data.client("Acme Studios"), "25:00")
    page.focus("#entry-submit")
    page.keyboard.press("Enter")
    expect(page.locator("#entry-error-duration")).to_be_visible()
    expect(page.locator("#entry-duration")).to_be_focused()  # the field to correct
    page.fill("#entry-duration", "1:00")
    page.focus("#entry-submit")
    page.keyboard.press("Enter")
    expect(page.locator("#week .actions button:text('Delete')")).to_have_count(1)
    expect(page.locator("#entry-submit")).to_be_focused()  # ready for the next entry
    page.once("dialog", lambda dialog: dialog.accept())
    page.focus("#week button:text('Delete')")
    page.keyboard.press("Enter")
    expect(page.locator("#week .actions button")).to_have_count(0)
    expect(page.locator("#entry-date")).to_be_focused()  # not lost with the row


def test_the_form_takes_focus_to_its_error_when_another_answer_lands_first(
    page: Page, live_url: str, data: DataBuilder
) -> None:
    # Choosing a client loads its services. When that answer lands while the form is being sent (a
    # slow network, a quick typist), the form's own answer must still move focus to its error.
    held: dict[str, Route] = {}
    page.route("**/timesheet/services?*", lambda route: held.setdefault("services", route))
    page.route("**/timesheet/entries", lambda route: held.setdefault("entry", route))
    type_entry(page, live_url, data.client("Acme Studios"), "25:00")
    page.focus("#entry-submit")
    page.keyboard.press("Enter")
    while len(held) < 2:
        page.wait_for_timeout(10)  # lets Playwright deliver the two requests to the handlers above
    page.evaluate("document.getElementById('entry-service').dataset.before = 'services'")
    held["services"].continue_()
    expect(page.locator("#entry-service[data-before]")).to_have_count(0)  # swapped and settled first
    held["entry"].continue_()
    expect(page.locator("#entry-error-duration")).to_be_visible()
    expect(page.locator("#entry-duration")).to_be_focused()


def test_the_form_leaves_the_focus_where_the_user_went_while_it_was_sent(
    page: Page, live_url: str, data: DataBuilder
) -> None:
    held: dict[str, Route] = {}
    page.route("**/timesheet/entries", lambda route: held.setdefault("entry", route))
    type_entry(page, live_url, data.client("Acme Studios"), "25:00")
    page.focus("#entry-submit")
    page.keyboard.press("Enter")
    while not held:
        page.wait_for_timeout(10)  # lets Playwright deliver the request to the handler above
    elsewhere = page.locator(".topbar__nav").get_by_role("link", name="Dashboard")
    elsewhere.focus()  # on to something else while the form is on its way
    held["entry"].continue_()
    expect(page.locator("#entry-error-duration")).to_be_visible()
    expect(page.locator("#entry-duration")).to_have_attribute("aria-invalid", "true")
    expect(elsewhere).to_be_focused()  # not pulled back to the field to correct


def test_edit_and_delete_an_entry(page: Page, live_url: str, data: DataBuilder) -> None:
    type_entry(page, live_url, data.client("Acme Studios"), "1")
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
    type_entry(page, live_url, data.client("Acme Studios"), "1:15")
    page.dblclick("button:text('Log time')")
    expect(page.locator("#entry-form .notice--ok")).to_contain_text("Logged 1:15 h")
    page.fill("#entry-duration", "0:45")
    # Two submits while the first is in flight (Enter pressed twice, quicker than the server: here
    # in one go, as a fast local server would otherwise answer between two key presses).
    page.evaluate(
        "() => { const form = document.getElementById('entry-form'); form.requestSubmit(); form.requestSubmit(); }"
    )
    expect(page.locator("#entry-form .notice--ok")).to_contain_text("Logged 0:45 h")
    page.wait_for_timeout(300)  # a second request, had one been sent, would have landed by now
    assert data.val("SELECT array_agg(minutes ORDER BY minutes) FROM timesheet_entries") == [45, 75]


def an_entry(data: DataBuilder, client: str = "Acme Studios", note: str = "") -> int:
    """An hour for the signed-in admin on Thu 12 Nov 2026, in this week (today is Sun 15 Nov)."""
    ada = data.val("SELECT id FROM users WHERE role = 'admin'")
    entry_id = data.entry(data.client(client), ada, date(2026, 11, 12), 60, 12_000)
    data.val("UPDATE timesheet_entries SET description = :note WHERE id = :id RETURNING id", note=note, id=entry_id)
    return entry_id


def test_edit_from_the_keyboard_focuses_the_form_and_esc_cancels(page: Page, live_url: str, data: DataBuilder) -> None:
    an_entry(data)
    page.goto(live_url + "/timesheet")
    page.locator("#week button:text('Edit')").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#entry-form button[type=submit]")).to_have_text("Save changes")
    expect(page.locator("#entry-date")).to_be_focused()  # the form's first field
    page.keyboard.press("Escape")
    expect(page.locator("#entry-form button[type=submit]")).to_have_text("Log time")
    expect(page.locator("#entry-form .entry-form__cancel")).to_have_count(0)
    expect(page.locator("#entry-date")).to_be_focused()  # not lost with the form it was in
    # Esc in any field while editing; in the new entry's form it does nothing.
    page.keyboard.press("Escape")
    page.locator("#week button:text('Edit')").click()
    expect(page.locator("#entry-form button[type=submit]")).to_have_text("Save changes")  # arrived
    page.locator("#entry-description").press("Escape")
    expect(page.locator("#entry-form button[type=submit]")).to_have_text("Log time")


def test_saving_an_entry_deleted_in_another_tab_keeps_what_was_typed(
    page: Page, live_url: str, data: DataBuilder
) -> None:
    entry_id = an_entry(data)
    page.goto(live_url + "/timesheet")
    page.click("#week button:text('Edit')")
    expect(page.locator("#entry-duration")).to_have_value("1:00")
    data.val("DELETE FROM timesheet_entries WHERE id = :id RETURNING id", id=entry_id)  # the other tab
    page.fill("#entry-duration", "2:15")
    page.fill("#entry-description", "Typed before it was gone")
    page.click("button:text('Save changes')")
    expect(page.locator("#entry-form [role=alert]")).to_contain_text("deleted meanwhile")
    expect(page.locator("#entry-form button[type=submit]")).to_have_text("Log time")
    expect(page.locator("#entry-duration")).to_have_value("2:15")
    expect(page.locator("#entry-description")).to_have_value("Typed before it was gone")
    expect(page.locator("#week .actions button")).to_have_count(0)  # the week reloaded without it
    page.click("button:text('Log time')")
    expect(page.locator("#entry-form .notice--ok")).to_have_text("Logged 2:15 h on Thu 12 Nov.")
    expect(page.locator("#week")).to_contain_text("Typed before it was gone")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_timesheet_fits_the_screen(page: Page, live_url: str, data: DataBuilder, width: int) -> None:
    long_note = "Workshop preparation and a long note about the agenda for the quarterly review"
    for n in range(3):
        an_entry(data, f"Acme Studios with a rather long client name GmbH & Co. KG {n}", long_note)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(live_url + "/timesheet")
    wait_until_loaded(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    card = page.locator(".timesheet__week").bounding_box()
    assert card is not None
    for button in page.locator("#week .actions button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= card["x"] + card["width"]
    # No empty gap between the last field of Log time and its button.
    description = page.locator("#entry-description").bounding_box()
    submit = page.locator("#entry-form button[type=submit]").bounding_box()
    assert description is not None and submit is not None
    assert submit["y"] - (description["y"] + description["height"]) < 30


def test_the_ops_tables_fit_1280_pixels_with_long_route_names(page: Page, live_url: str, data: DataBuilder) -> None:
    # /ops names a page by its route, e.g. "page /clients/{client_id:int}/services/{service_id:int}/edit":
    # without a break in it, that first column pushed the table out of its 1232 px.
    page.request.get(live_url + f"/clients/{data.client('Acme Studios')}/services/1/edit")
    page.goto(live_url + "/ops")
    tables = page.locator("#ops-live .table-wrap")
    expect(tables).to_have_count(2)
    assert tables.evaluate_all("(wraps) => wraps.map((w) => w.scrollWidth - w.clientWidth)") == [0, 0]
