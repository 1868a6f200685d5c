"""The dashboard in a real headless Chromium: partials swap in, filters update the URL, errors show in place."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote_plus

import pytest
from anyio.from_thread import BlockingPortal
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import sign_in_with_browser, wait_until_loaded
from tests.support import PASSWORD, DataBuilder
from web.dashboard import CARDS
from web.db import Database
from web.db.seed import SIZES, seed
from web.money import format_money
from web.periods import named_period
from web.queries import figures, statuses
from web.queries.scope import ClientScope


@pytest.fixture
def seeded_page(
    anonymous_page: Page, live_url: str, admin: str, test_db: Database, portal: BlockingPortal, today: date
) -> Page:
    """The dashboard on tiny seeded data, signed in as the admin, every partial loaded."""
    # Seeded before anything is cached: cache invalidation on writes is issue #3.
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=today))
    sign_in_with_browser(anonymous_page, live_url, admin)
    anonymous_page.goto(live_url + "/")
    wait_until_loaded(anonymous_page)
    return anonymous_page


def test_every_partial_loads_with_the_database_figures(
    seeded_page: Page, data: DataBuilder, test_db: Database, portal: BlockingPortal, today: date
) -> None:
    page = seeded_page
    assert page.locator(".card--error, .row--error, .card--loading, .row--loading").count() == 0
    assert page.locator(".cards > article.card").count() == len(CARDS)

    period = named_period("this_month", today)
    totals = portal.call(figures.scope_totals, test_db, ClientScope(), period, today)
    expect(page.locator("#card-revenue .figure")).to_have_text(format_money(totals.revenue_cents, whole=True))
    counts = portal.call(statuses.client_counts, test_db, ClientScope(), period)
    expect(page.locator("#card-clients .figure")).to_have_text(str(counts.active))

    rows = page.locator("#client-list tbody tr")
    assert rows.count() == SIZES["tiny"].clients
    for client_id in [r["id"] for r in data.rows("SELECT id FROM clients")]:
        figs = portal.call(figures.client_figures, test_db, client_id, period, today)
        cell = page.locator(f"#client-row-{client_id} td.num").first
        expect(cell).to_have_text(format_money(figs.revenue_cents, whole=True))


def test_filters_update_the_url_and_reload_only_the_partials(seeded_page: Page, data: DataBuilder) -> None:
    page = seeded_page
    page.evaluate("window.notReloaded = true")

    page.select_option("#filter-status", "churned")
    page.wait_for_url(lambda url: url.endswith("/?period=this_month&status=churned&per_page=50"))
    wait_until_loaded(page)
    churned = data.val("SELECT count(*) FROM clients WHERE status = 'churned'")
    expect(page.locator("#client-list tbody tr")).to_have_count(churned)
    assert page.evaluate("window.notReloaded") is True
    # Screen readers hear what the list holds now (a status region outside what was replaced).
    expect(page.locator("#filter-announce[role=status]")).to_contain_text(f"of {churned}")

    page.fill("#filter-q", "zzz-no-such-client")
    page.wait_for_url("**q=zzz-no-such-client**")
    expect(page.locator("#client-list .empty")).to_contain_text("No clients match these filters")
    expect(page.locator("#filter-announce")).to_contain_text("No clients match these filters")

    page.go_back()
    page.wait_for_url(lambda url: url.endswith("/?period=this_month&status=churned&per_page=50"))
    wait_until_loaded(page)
    expect(page.locator("#client-list tbody tr")).to_have_count(churned)
    expect(page.locator("#filter-status")).to_have_value("churned")
    # The restored page's filters still apply (htmx restores it by replacing the body).
    page.select_option("#filter-status", "active")
    page.wait_for_url("**status=active**")


def test_bad_custom_range_shows_the_error_next_to_the_field(page: Page, live_url: str, data: DataBuilder) -> None:
    data.client("Acme")
    page.goto(live_url + "/")
    wait_until_loaded(page)
    expect(page.locator("#filter-from")).to_be_hidden()  # the dates show for a custom range only
    page.select_option("#filter-period", "custom")
    expect(page.locator("#filter-from")).to_be_visible()
    page.fill("#filter-from", "2024-03-10")
    page.fill("#filter-to", "2024-03-01")
    page.locator("#filter-to").dispatch_event("change")
    expect(page.locator("#error-to")).to_have_text("The end date must be on or after the start date.")
    expect(page.locator("#dashboard .notice")).to_be_visible()
    expect(page.locator("#filter-to")).to_have_attribute("aria-invalid", "true")  # its red border too
    # Changing another field leaves the focus there: only a form that comes back sends it to errors.
    page.locator("#filter-status").focus()
    page.select_option("#filter-status", "active")
    page.wait_for_url("**status=active**")
    expect(page.locator("#filter-status")).to_be_focused()
    # Fixing the range clears the error and loads the figures.
    page.fill("#filter-to", "2024-03-31")
    page.locator("#filter-to").dispatch_event("change")
    expect(page.locator("#error-to")).to_have_text("")
    expect(page.locator("#filter-to")).not_to_have_attribute("aria-invalid", "true")
    wait_until_loaded(page)
    expect(page.locator("#card-revenue .figure")).to_be_visible()
    assert "from=2024-03-10&to=2024-03-31" in page.url


def test_sorting_by_revenue_loads_the_list_then_its_rows(seeded_page: Page) -> None:
    page = seeded_page
    page.click("#client-list thead a:text('Revenue')")
    page.wait_for_url("**sort=revenue&dir=desc")
    wait_until_loaded(page)
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Revenue")
    values = page.locator("#client-list tbody tr td.num:nth-of-type(1)").all_inner_texts()
    cents = [int(v.replace("€", "").replace(",", "").replace("−", "-")) for v in values]
    assert cents == sorted(cents, reverse=True)


def test_sorting_with_the_keyboard_keeps_the_focus_on_the_link(seeded_page: Page) -> None:
    page = seeded_page
    page.focus("#sort-revenue")
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=revenue&dir=desc**")
    wait_until_loaded(page)  # the list sorted by a figure arrives after the shell, as a partial
    expect(page.locator("#sort-revenue")).to_be_focused()


def test_paging_with_the_keyboard_keeps_the_focus_on_the_link(
    anonymous_page: Page, live_url: str, admin: str, data: DataBuilder
) -> None:
    page = anonymous_page
    for n in range(60):  # three pages of 25
        data.client(f"Client {n:02}")
    sign_in_with_browser(page, live_url, admin)
    page.goto(live_url + "/?per_page=25")
    wait_until_loaded(page)
    page.focus("#list-next")
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")
    wait_until_loaded(page)
    expect(page.locator("#client-list tbody th").first).to_contain_text("Client 25")
    expect(page.locator("#list-next")).to_be_focused()
    page.keyboard.press("Enter")  # to the last page, which has no Next: focus goes to Previous
    page.wait_for_url("**page=3**")
    wait_until_loaded(page)
    expect(page.locator("#list-previous")).to_be_focused()


def test_a_search_with_extra_spaces_still_finds_the_client(seeded_page: Page, data: DataBuilder) -> None:
    page = seeded_page
    name = data.val("SELECT name FROM clients WHERE name LIKE '% %' ORDER BY id LIMIT 1")
    page.fill("#filter-q", "  " + name.replace(" ", "   ") + " ")
    page.wait_for_url(lambda url: "q=" in url)
    wait_until_loaded(page)
    expect(page.locator("#client-list tbody th").first).to_contain_text(name)


def test_typing_a_date_applies_the_filters_once(page: Page, live_url: str, data: DataBuilder) -> None:
    data.client("Acme")
    page.goto(live_url + "/?period=custom&from=2024-05-01&to=2024-05-31")
    wait_until_loaded(page)
    history = page.evaluate("history.length")
    applied: list[str] = []
    page.on("request", lambda r: applied.append(r.url) if "/?" in r.url and "/partials/" not in r.url else None)
    page.locator("#filter-to").focus()  # on its first part, the month (the browser's locale is en-US)
    page.keyboard.type("06302024", delay=40)  # month, day, year: the value changes as each part completes
    page.wait_for_url("**to=2024-06-30**")
    wait_until_loaded(page)
    assert [url for url in applied if "to=" in url] == [applied[-1]] and "to=2024-06-30" in applied[-1]
    assert page.evaluate("history.length") == history + 1
    expect(page.locator("#error-to")).to_have_text("")


def test_fast_typing_ends_on_the_last_search(seeded_page: Page, data: DataBuilder) -> None:
    page = seeded_page
    name = data.val("SELECT name FROM clients ORDER BY id LIMIT 1")
    page.locator("#filter-q").press_sequentially(name, delay=30)
    page.wait_for_url(lambda url: f"q={quote_plus(name)}&" in url)
    wait_until_loaded(page)
    expect(page.locator("#client-list tbody th").first).to_contain_text(name)
    expect(page.locator("#filter-q")).to_be_focused()


def test_an_ended_session_sends_the_browser_to_sign_in(seeded_page: Page, live_url: str) -> None:
    page = seeded_page
    page.context.clear_cookies()
    page.select_option("#filter-status", "active")
    page.wait_for_url(f"{live_url}/login?next=%2F")  # back to the page they were on, after signing in
    expect(page.locator("h1")).to_have_text("Sign in")


def test_sign_in_form_and_error(anonymous_page: Page, live_url: str, admin: str) -> None:
    page = anonymous_page
    page.goto(live_url + "/?period=ytd")
    page.wait_for_url("**/login?next=%2F%3Fperiod%3Dytd")
    page.fill("#login-email", admin)
    page.fill("#login-password", "wrong password")
    page.press("#login-password", "Enter")
    expect(page.locator("#login-error")).to_have_text("Email or password is incorrect.")
    expect(page.locator("#login-email")).to_have_value(admin)
    page.fill("#login-password", PASSWORD)
    page.press("#login-password", "Enter")
    page.wait_for_url(f"{live_url}/?period=ytd")
    wait_until_loaded(page)
    expect(page.locator(".topbar__user")).to_contain_text("Ada Admin")


def cut_after_the_shell(route: Route) -> None:
    """The dashboard's response as if the connection had dropped once its shell was sent."""
    response = route.fetch()
    shell = response.text().split("<template data-fill", 1)[0]
    assert "stream.js" in shell
    route.fulfill(response=response, body=shell)


def test_a_partial_with_no_answer_from_the_app_shows_its_error_and_retries(
    anonymous_page: Page, live_url: str, admin: str, data: DataBuilder, parts_after_the_shell: None
) -> None:
    page = anonymous_page
    acme = data.client("Acme Studios")  # before anything is cached
    sign_in_with_browser(page, live_url, admin)
    # The page's stream is cut after its shell: each placeholder then asks for its partial itself...
    page.route(live_url + "/", cut_after_the_shell)
    # ... and the network fails for one card; a proxy answers another and a row with a page of its own.
    page.route("**/partials/dashboard/revenue?*", lambda route: route.abort("connectionrefused"))
    page.route("**/partials/dashboard/mrr?*", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.route("**/partials/dashboard/client-row?*", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.goto(live_url + "/")
    wait_until_loaded(page)
    for card in ("#card-revenue", "#card-mrr"):
        expect(page.locator(f"{card} [role=alert]")).to_have_text(
            "This could not be loaded: no answer from the server."
        )
    expect(page.locator("#card-mrr .card__title")).to_have_text("MRR")  # as the app's own error state
    expect(page.locator(f"#client-row-{acme} [role=alert]")).to_have_text(
        "Acme Studios: This could not be loaded: no answer from the server."
    )
    expect(page.locator("body")).not_to_contain_text("Bad gateway")
    expect(page.locator("#card-hours .figure")).to_have_text("0:00 h")  # the rest of the page is unaffected
    page.unroute("**/partials/dashboard/revenue?*")
    page.focus("#card-revenue button:text('Retry')")
    page.keyboard.press("Enter")
    expect(page.locator("#card-revenue .figure")).to_have_text("€0")
    expect(page.locator("#card-revenue")).to_be_focused()  # the keyboard is where the Retry was
