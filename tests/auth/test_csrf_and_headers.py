"""CSRF on every write, and the security headers on every response."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, session_of, soup
from web.security import CONTENT_SECURITY_POLICY


def test_post_without_a_token_is_refused_and_changes_nothing(
    anonymous: TestClient, admin: str, data: DataBuilder
) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"email": admin, "password": PASSWORD})
    assert response.status_code == 403
    assert "did not come from Billable" in response.text
    assert data.val("SELECT count(*) FROM login_attempts") == 0
    assert "sid" not in session_of(anonymous)


def test_wrong_token_is_refused(client: TestClient) -> None:
    response = client.post("/logout", headers={"X-CSRF-Token": "not-the-token"}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_an_htmx_write_refused_for_its_token_swaps_nothing(client: TestClient, data: DataBuilder) -> None:
    # The form stays as typed; static/app.js reads the current token and sends it again once.
    form = {"work_date": "2026-11-12", "client_id": str(data.client("Acme")), "duration": "1"}
    headers = {"HX-Request": "true", "X-CSRF-Token": "from-an-old-session"}
    refused = client.post("/timesheet/entries", data=form, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["hx-reswap"] == "none" and refused.headers["x-billable-csrf-refused"] == "true"
    assert data.val("SELECT count(*) FROM timesheet_entries") == 0
    page = client.post("/logout", headers={"X-CSRF-Token": "from-an-old-session"}, follow_redirects=False)
    assert "hx-reswap" not in page.headers  # a page, for a form posted without htmx


def test_the_header_token_is_accepted(client: TestClient) -> None:
    response = client.post("/logout", follow_redirects=False)  # the client sends X-CSRF-Token
    assert response.status_code == 303


def test_security_headers_on_pages_partials_and_errors(client: TestClient) -> None:
    for url in (
        "/",
        "/partials/dashboard/mrr?period=this_month",
        "/partials/dashboard/mrr?period=bad",
        "/nope",
        "/login",
        "/healthz",
    ):
        response = client.get(url, follow_redirects=False)
        headers = response.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, url
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"].startswith("private"), url


def test_static_files_may_be_cached(client: TestClient) -> None:
    response = client.get("/static/app.css")
    assert "private" not in response.headers.get("cache-control", "")


def test_no_inline_script_or_style_in_pages(client: TestClient) -> None:
    for url in ("/", "/login", "/?period=bad"):
        page = soup(client.get(url).text)
        assert all(script.get("src") for script in page.select("script")), url
        assert not page.select("style"), url
        assert not page.select("[style]"), url
        assert not [el for el in page.find_all(True) if any(a.startswith("on") for a in el.attrs)], url


def test_cookies_are_secure_over_https(settings, data: DataBuilder, admin: str, today) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    with TestClient(create_app(settings, today=lambda: today), base_url="https://testserver") as https_client:
        response = https_client.get("/login")
        assert "secure" in response.headers["set-cookie"].lower()
