"""Your account: change your own password (the other sessions end, this one stays) and sign out
everywhere else."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.auth.test_sessions import signed_out, within_a_second
from tests.support import PASSWORD, OpenApp, session_of, sign_in, soup

NEW = "a much better password"


def change(client: TestClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    form = {"current": current, "new": new, "again": new if again is None else again}
    return client.post("/account/password", data=form, headers={"X-CSRF-Token": session_of(client)["csrf"]})


def errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = soup(response.text)
    return {p["id"].removeprefix("account-error-"): p.get_text() for p in page.select(".field-error")}


def test_a_new_password_is_checked_and_each_mistake_said_in_place(client: TestClient) -> None:
    short = change(client, PASSWORD, "eleven char")  # one short of the 12 that OWASP ASVS level 2 asks
    assert short.status_code == 400 and errors(short) == {"new": "The new password must have at least 12 characters."}
    assert soup(short.text).select_one("#account-new")["aria-describedby"] == "account-error-new"
    assert errors(change(client, PASSWORD, NEW, "something else")) == {"again": "The two new passwords differ."}
    assert errors(change(client, "", NEW)) == {"current": "Enter your current password."}
    assert errors(change(client, PASSWORD, PASSWORD)) == {"new": "The new password is the one you have now."}
    nul = change(client, PASSWORD, "\x00" * 12)  # sign-in refuses a NUL: it would lock its owner out
    assert errors(nul) == {"new": "The new password cannot contain a NUL character."}
    wrong = change(client, "not my password", NEW)
    assert wrong.status_code == 400 and errors(wrong) == {"current": "That is not your current password."}


def test_changing_your_password_signs_out_everywhere_else_but_here(open_app: OpenApp, anonymous: TestClient) -> None:
    with open_app() as here, open_app() as elsewhere:
        changed = change(here, PASSWORD, NEW)
        assert "Your password has changed." in soup(changed.text).select_one("[role=status]").get_text()
        assert here.get("/timesheet").status_code == 200
        assert within_a_second(lambda: signed_out(elsewhere))
    sign_in(anonymous, "ada@test.example", NEW)  # the new password is the one that works
    assert anonymous.get("/timesheet").status_code == 200


def test_wrong_current_passwords_count_toward_the_lockout(client: TestClient) -> None:
    for _ in range(5):
        assert change(client, "a guess", NEW).status_code == 400
    locked = change(client, PASSWORD, NEW)  # even the right one, for now
    assert locked.status_code == 429 and "Too many wrong passwords" in errors(locked)["current"]


def test_sign_out_everywhere_else(open_app: OpenApp) -> None:
    with open_app() as here, open_app() as elsewhere:
        page = soup(here.get("/account").text)
        listed = [li.get_text(" ", strip=True) for li in page.select("ul.sessions li")]
        assert len(listed) == 2 and sum("This browser" in line for line in listed) == 1
        done = here.post("/account/sessions/end-others", headers={"X-CSRF-Token": session_of(here)["csrf"]})
        assert "Every other browser" in soup(done.text).select_one("[role=status]").get_text()
        assert within_a_second(lambda: signed_out(elsewhere))
        assert here.get("/account").status_code == 200
        assert len(soup(here.get("/account").text).select("ul.sessions li")) == 1
