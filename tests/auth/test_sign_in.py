"""Signing in and out: sessions, generic failures, throttling."""

from __future__ import annotations

from starlette.testclient import TestClient

from bench.http import session_csrf_token
from tests.support import PASSWORD, DataBuilder, login_form_token, session_of, soup

LOGIN_ERROR = "#login-error"


def login(client: TestClient, email: str, password: str, next_url: str = "/") -> object:
    token = login_form_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )


def test_sign_in_and_out(anonymous: TestClient, admin: str) -> None:
    response = login(anonymous, "ADA@test.example", PASSWORD, next_url="/?period=ytd")
    assert response.status_code == 303
    assert response.headers["location"] == "/?period=ytd"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie and "samesite=lax" in cookie and "Max-Age=43200" in cookie
    html = anonymous.get("/").text
    assert "Ada Admin" in soup(html).select_one(".topbar__user").get_text()
    token = session_csrf_token(html)
    out = anonymous.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_failures_get_one_generic_message(anonymous: TestClient, admin: str, data: DataBuilder) -> None:
    data.user("No Password", email="nopass@test.example")  # generated staff cannot sign in
    for email, password in [
        (admin, "wrong password"),
        ("nobody@test.example", PASSWORD),
        ("nopass@test.example", ""),
        ("nopass@test.example", "anything at all"),
    ]:
        response = login(anonymous, email, password)
        assert response.status_code in (400, 401)
        message = soup(response.text).select_one(LOGIN_ERROR).get_text()
        assert message in ("Email or password is incorrect.", "Enter your email and your password.")
        assert soup(response.text).select_one("#login-email")["value"] == email  # kept for correcting


def test_session_rotates_on_sign_in(anonymous: TestClient, admin: str, data: DataBuilder) -> None:
    anonymous.get("/login")
    before = session_of(anonymous)["csrf"]
    login(anonymous, admin, PASSWORD)
    after = session_of(anonymous)
    assert after["csrf"] != before
    started = data.rows("SELECT user_id, ended_at FROM sessions")
    assert started == [{"user_id": 1, "ended_at": None}]  # one session, on the server
    assert after["sid"] and after["sid"] not in str(data.rows("SELECT id FROM sessions"))  # stored hashed


def test_next_is_only_ever_a_local_path(anonymous: TestClient, admin: str) -> None:
    for hostile in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        anonymous.cookies.clear()
        response = login(anonymous, admin, PASSWORD, next_url=hostile)
        assert response.headers["location"] == "/"


def test_repeated_failures_are_throttled_per_account(anonymous: TestClient, admin: str, data: DataBuilder) -> None:
    for _ in range(5):
        assert login(anonymous, admin, "wrong password").status_code == 401
    refused = login(anonymous, admin, PASSWORD)  # even the right password, for now
    assert refused.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in soup(refused.text).select_one(LOGIN_ERROR).text
    assert "sid" not in session_of(anonymous)
    # Another account from the same address is not locked by these five.
    data.user("Bo Other", email="bo@test.example", password=PASSWORD)
    assert login(anonymous, "bo@test.example", PASSWORD).status_code == 303


def test_repeated_failures_are_throttled_per_address(anonymous: TestClient, admin: str, data: DataBuilder) -> None:
    # One wrong password for each of twenty accounts: under every account's own limit. (Real
    # accounts, hashed cheaply: an unknown email costs a full Argon2 check, by design.)
    for n in range(20):
        data.user(f"Someone {n}", email=f"someone{n}@test.example", password=PASSWORD)
        login(anonymous, f"someone{n}@test.example", "guess")
    refused = login(anonymous, admin, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text


def test_signed_in_users_skip_the_login_page(anonymous: TestClient, admin: str) -> None:
    assert login(anonymous, admin, PASSWORD).status_code == 303
    response = anonymous.get("/login?next=/%3Fperiod%3Dytd", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/?period=ytd"
