"""Ops and designers in a real browser: the waterfall, accessibility, screenshots, hot reload."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from anyio.from_thread import BlockingPortal
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in_with_browser, wait_until_loaded
from tests.support import DataBuilder, free_port
from web.app import create_app
from web.dashboard import CARDS
from web.db import Database
from web.db.seed import SIZES, seed
from web.settings import Settings
from web.templating import STATIC_DIR

SCREENSHOTS = Path(os.environ.get("BILLABLE_ARTIFACTS", "artifacts")) / "screenshots"


@pytest.fixture
def seeded(data: DataBuilder, test_db: Database, portal: BlockingPortal, today: date) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=today))


def test_waterfall_lists_every_partial_as_the_browser_saw_it(
    anonymous_page: Page, live_url: str, admin: str, seeded: None
) -> None:
    page = anonymous_page
    sign_in_with_browser(page, live_url, admin)
    # A period of its own: its partials are computed for this visit.
    page.goto(live_url + "/?timings=1&period=last_month")
    wait_until_loaded(page)
    panel = page.locator("#waterfall")
    expect(panel).to_be_visible()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(len(CARDS) + SIZES["tiny"].clients)
    names = rows.locator("th").all_inner_texts()
    assert {c.name for c in CARDS} <= set(names)
    caches = rows.locator("td:nth-child(6)").all_inner_texts()
    assert set(caches) <= {"hit", "miss"} and "miss" in caches
    servers = [float(v) for v in rows.locator("td:nth-child(4)").all_inner_texts()]
    assert all(v > 0 for v in servers)
    # Again, warm: every part is put in place in the shell, and listed from the timing it carries.
    page.reload()
    wait_until_loaded(page)
    expect(rows).to_have_count(len(CARDS) + SIZES["tiny"].clients)
    assert set(rows.locator("td:nth-child(6)").all_inner_texts()) == {"hit"}
    assert page.locator("template[data-in-place]").count() == len(CARDS) + SIZES["tiny"].clients


AXE_PAGES = {
    "dashboard": "/",
    "gallery": "/gallery",
    "ops": "/ops",
    "login": "/login",
    "timesheet": "/timesheet",
    "client": "/clients/1",
    "people": "/people",
    "account": "/account",
}


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    if not url.endswith("/gallery"):
        wait_until_loaded(page)  # the gallery's loading previews stay busy on purpose


@pytest.mark.parametrize("name", AXE_PAGES)
def test_no_serious_accessibility_violations(
    browser: Browser, live_url: str, admin: str, seeded: None, name: str
) -> None:
    # axe is injected as a script: this one context lets it past our CSP (the other tests check the CSP).
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        if name != "login":
            sign_in_with_browser(page, live_url, admin)
        open_page(page, live_url + AXE_PAGES[name])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        reports = {}
        # Light, then dark as the system's preference asks for it (colour contrast is among what axe
        # checks): the page restyles itself, as it does when the preference changes.
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=SCREENSHOTS / f"{name}-1280-{scheme}.png", full_page=True)
            results = Axe().run(page)
            if any(v["impact"] in ("serious", "critical") for v in results.response["violations"]):
                reports[scheme] = results.generate_report()
        assert reports == {}, "\n".join(f"{scheme}:\n{report}" for scheme, report in reports.items())
    finally:
        context.close()


# What a page at `width` must not have: anything wider than the viewport, a table cut without a sign
# that it scrolls, or a control smaller than 24 x 24 px (WCAG 2.5.8).
LAYOUT_PROBLEMS = """(width) => {
  const problems = [];
  const text = (e) => (e.textContent || e.name || '').trim().slice(0, 24);
  const name = (e) => `${e.tagName.toLowerCase()}.${e.className} “${text(e)}”`;
  if (document.documentElement.scrollWidth > width) {
    const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > width + 1
      && e.parentElement.getBoundingClientRect().right <= width + 1);
    const widest = wide.slice(0, 5).map(name).join(', ');
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide: ${widest}`);
  }
  for (const table of document.querySelectorAll('table')) {
    const wrap = table.closest('.table-wrap');
    if (table.getBoundingClientRect().width === 0) continue;  // not shown (a closed <details>)
    const cut = wrap ? wrap.scrollWidth > wrap.clientWidth + 1 : table.getBoundingClientRect().right > width + 1;
    const style = wrap && getComputedStyle(wrap);
    if (cut && !(style && ['auto', 'scroll'].includes(style.overflowX) && style.backgroundImage.includes('gradient')))
      problems.push(`a table cut without a scroll shadow: ${name(table)}`);
  }
  const controls = 'button, select, input:not([type=hidden]), textarea, summary, nav a, a.button, .pager a';
  for (const control of document.querySelectorAll(controls)) {
    const box = control.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (box.width < 24 || box.height < 24)
      problems.push(`${name(control)} is ${Math.round(box.width)} x ${Math.round(box.height)} px`);
  }
  return problems;
}"""


@pytest.mark.parametrize("name", [name for name in AXE_PAGES if name != "login"])
def test_screenshots_and_no_overflow(page: Page, live_url: str, seeded: None, name: str) -> None:
    # One load, three widths: the page is laid out again as the window is resized.
    open_page(page, live_url + AXE_PAGES[name])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for width in (360, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        assert (SCREENSHOTS / f"{name}-{width}.png").stat().st_size > 10_000
        problems[width] = page.evaluate(LAYOUT_PROBLEMS, width)
    assert problems == {360: [], 768: [], 1280: []}


# Cells the cards take: one each, what a "span n" gives them (the chart across two; the shorthand
# `grid-column: span 2` sets the start), or the whole row (`1 / -1`: MRR movements).
CARD_CELLS = """() => {
  const grid = document.querySelector('.cards');
  const cards = [...grid.children];
  const columns = getComputedStyle(grid).gridTemplateColumns.split(' ').length;
  const span = (c) => {
    const style = getComputedStyle(c);
    const start = style.gridColumnStart;
    if (style.gridColumnEnd === '-1') return columns;
    return start.startsWith('span') ? Math.min(parseInt(start.slice(5)), columns) : 1;
  };
  return [columns, cards.length, cards.reduce((n, c) => n + span(c), 0)];
}"""


def test_the_dashboard_cards_fill_whole_rows(page: Page, live_url: str, seeded: None) -> None:
    open_page(page, live_url + "/")
    assert page.locator("h1").count() == 1
    for width in (1280, 1440, 1920, 1100, 800, 360):
        page.set_viewport_size({"width": width, "height": 900})
        columns, cards, cells = page.evaluate(CARD_CELLS)
        assert cards == len(CARDS), width
        assert cells % columns == 0, f"at {width} px, {cells} cells in {columns} columns leave one empty"


@pytest.fixture
def dev_url(settings: Settings, data: DataBuilder, today: date) -> Iterator[str]:
    port = free_port()
    app = create_app(settings.replace(dev=True), today=lambda: today)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_dev_mode_reloads_the_page_when_a_file_changes(dev_url: str, anonymous_page: Page) -> None:
    page = anonymous_page
    with page.expect_response(dev_url + "/dev/events"):  # the event stream is open
        page.goto(dev_url + "/gallery")
    touched = STATIC_DIR / "app.css"
    stat = touched.stat()
    try:
        with page.expect_navigation(timeout=10_000):
            os.utime(touched, (stat.st_atime, stat.st_mtime + 5))
    finally:
        os.utime(touched, (stat.st_atime, stat.st_mtime))
    expect(page.locator("h1")).to_have_text("Partial gallery")


def test_the_top_bar_folds_into_a_menu_on_a_phone(page: Page, live_url: str, seeded: None) -> None:
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_url + "/timesheet")
    expect(page.locator(".topbar__nav")).to_be_hidden()
    menu = page.get_by_text("Menu", exact=True)
    box = menu.bounding_box()
    assert box is not None and box["height"] >= 44  # a full tap target
    menu.focus()
    page.keyboard.press("Enter")  # a disclosure: the keyboard opens it too
    people = page.locator(".topbar__menu").get_by_role("link", name="People")
    expect(people).to_be_visible()
    people.click()
    expect(page).to_have_url(live_url + "/people")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator(".topbar__menu")).to_be_hidden()
    expect(page.locator(".topbar__nav").get_by_role("link", name="People")).to_be_visible()
