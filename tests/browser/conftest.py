"""A live server and a real headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx2
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import require
from tests.support import PASSWORD, login_form_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require(shutil.which(CHROMIUM) is not None, "Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def anonymous_page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab; the test fails on any script error or Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")  # dates typed as mm/dd/yyyy
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Security Policy" in m.text else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors or CSP violations: {errors}"


@pytest.fixture
def page(anonymous_page: Page, live_url: str, admin: str) -> Page:
    """A browser tab signed in as the admin, through the sign-in form."""
    sign_in_with_browser(anonymous_page, live_url, admin)
    return anonymous_page


def sign_in_with_browser(page: Page, live_url: str, email: str) -> None:
    """Sign the tab in as `email`, leaving it where it was (blank for a new tab): the sign-in form is
    sent over HTTP and its session cookie given to the tab. Sent from the tab, it cost each test the
    dashboard a sign-in lands on, over a second; test_sign_in_form_and_error drives the form."""
    with httpx2.Client(base_url=live_url) as http:
        form = {"email": email, "password": PASSWORD, "csrf_token": login_form_token(http.get("/login").text)}
        assert http.post("/login", data=form).status_code == 303
        cookies = [{"name": name, "value": value, "url": live_url} for name, value in http.cookies.items()]
    page.context.add_cookies(cookies)  # type: ignore[arg-type]


def wait_until_loaded(page: Page) -> None:
    """Every placeholder has been swapped for its partial."""
    # A locator, not wait_for_function: that evaluates a string, which our CSP (rightly) refuses.
    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=15_000)


def type_entry(page: Page, live_url: str, client_id: int, duration: str, description: str | None = None) -> None:
    """Open the timesheet and type an entry into its form, not yet sent."""
    page.goto(live_url + "/timesheet")
    page.select_option("#entry-client", str(client_id))
    page.fill("#entry-duration", duration)
    if description is not None:
        page.fill("#entry-description", description)
