"""Server-side sessions (issue #19): signing out, a new password, a new role or a disabled account
end a session everywhere at once, and sessions end on idle time and on age."""

from __future__ import annotations

import time

from anyio.from_thread import BlockingPortal
from starlette.testclient import TestClient

from tests.support import PASSWORD, TODAY, DataBuilder, OpenApp, billable, cheap_hash, session_of, sign_in, soup
from web.db import Database
from web.queries.users import set_disabled, set_password, set_role

ENTRY = {"work_date": "2026-11-12", "client_id": "", "duration": "1:00", "billable": "on", "description": "x"}


def signed_out(client: TestClient, path: str = "/timesheet") -> bool:
    response = client.get(path, follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def within_a_second(condition) -> bool:  # type: ignore[no-untyped-def]
    """The condition holds within 1 s (a NOTIFY from another process takes a moment)."""
    deadline = time.monotonic() + 1.0
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_cookie_copied_before_sign_out_opens_nothing_after(client: TestClient, data: DataBuilder) -> None:
    acme = data.client("Acme")
    copied = dict(client.cookies)
    csrf = session_of(client)["csrf"]
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.update(copied)  # the stolen copy
    assert signed_out(client)
    client.cookies.clear()
    client.cookies.update(copied)  # its token still matches the copy's: only the session can refuse
    entry = {**ENTRY, "client_id": str(acme)}
    logged = client.post("/timesheet/entries", data=entry, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert logged.status_code == 303 and logged.headers["location"].startswith("/login")
    assert data.val("SELECT count(*) FROM timesheet_entries") == 0
    assert data.val("SELECT count(*) FROM sessions WHERE ended_at IS NULL") == 0


def test_sign_out_in_one_process_ends_the_session_in_another_at_once(open_app: OpenApp) -> None:
    with open_app() as first, open_app() as second:
        second.cookies.clear()
        second.cookies.update(dict(first.cookies))  # the same session, served by another process
        assert second.get("/timesheet").status_code == 200  # checked, and remembered for 30 s
        first.post("/logout", headers={"X-CSRF-Token": session_of(first)["csrf"]})
        assert within_a_second(lambda: signed_out(second))


def test_a_new_password_role_or_disabling_ends_every_session_of_the_person(
    open_app: OpenApp, data: DataBuilder, test_db: Database, portal: BlockingPortal
) -> None:
    original = cheap_hash(PASSWORD)
    for change in (
        lambda: set_password(test_db, "ada@test.example", "a brand new password"),
        lambda: set_role(test_db, "ada@test.example", "staff"),
        lambda: set_disabled(test_db, "ada@test.example", True, today=TODAY),
    ):
        data.val("UPDATE users SET password_hash = :h, role = 'admin', disabled = false", h=original)
        with open_app() as laptop, open_app() as phone:  # two sign-ins, in two app processes
            assert laptop.get("/timesheet").status_code == 200 and phone.get("/timesheet").status_code == 200
            portal.call(change)  # as `billable user ...` does, from a process of its own
            assert within_a_second(lambda: signed_out(laptop) and signed_out(phone))  # noqa: B023


def test_a_password_changed_by_its_owner_keeps_the_session_that_changed_it(
    open_app: OpenApp, test_db: Database, portal: BlockingPortal
) -> None:
    with open_app() as own, open_app() as other:
        token = session_of(own)["sid"]
        portal.call(lambda: set_password(test_db, "ada@test.example", "a brand new password", keep_session=token))
        assert within_a_second(lambda: signed_out(other))
        assert own.get("/timesheet").status_code == 200


def test_a_session_ends_when_idle_or_old(open_app: OpenApp, data: DataBuilder) -> None:
    with open_app(session_idle_minutes=60, session_hours=12) as client:
        checks = client.app.state.billable.session_checks
        data.val("UPDATE sessions SET last_seen_at = now() - interval '59 minutes'")
        checks.clear()  # as if USER_RECHECK_S had passed
        assert client.get("/timesheet").status_code == 200  # used within the hour: on, and marked used
        assert data.val("SELECT now() - last_seen_at < interval '1 minute' FROM sessions")
        data.val("UPDATE sessions SET last_seen_at = now() - interval '61 minutes'")
        checks.clear()
        assert signed_out(client)
    with open_app(session_idle_minutes=60, session_hours=12) as client:
        data.val("UPDATE sessions SET created_at = now() - interval '12 hours 1 minute' WHERE ended_at IS NULL")
        client.app.state.billable.session_checks.clear()
        assert signed_out(client)  # however recently used


def test_admins_list_and_end_a_persons_sessions_from_the_command_line(
    open_app: OpenApp, data: DataBuilder, database_url: str
) -> None:
    env = {"DATABASE_URL": database_url}
    with open_app() as laptop, open_app() as phone:
        phone.headers["user-agent"] = "Phone Browser"
        sign_in(phone, "ada@test.example")  # a second session, from another browser
        listed = billable("user", "sessions", "ada@test.example", env=env)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.strip().splitlines()
        assert len(lines) == 3 and "Phone Browser" in lines[0]  # newest first; the fixture's two and this
        one = lines[0].split()[0]
        ended = billable("user", "sessions", "ada@test.example", "--end", one, env=env)
        assert (ended.returncode, ended.stdout.strip()) == (0, "ended 1 session of ada@test.example")
        assert within_a_second(lambda: signed_out(phone))
        assert laptop.get("/timesheet").status_code == 200  # the others go on
        assert billable("user", "sessions", "ada@test.example", "--end", env=env).returncode == 0
        assert within_a_second(lambda: signed_out(laptop))
        assert "has no active session" in billable("user", "sessions", "ada@test.example", env=env).stdout
        bad = billable("user", "sessions", "ada@test.example", "--end", "x%", env=env)
        assert bad.returncode == 2 and "give a session id as listed" in bad.stderr


def test_admins_see_where_people_are_signed_in_and_end_a_session(
    open_app: OpenApp, data: DataBuilder, anonymous: TestClient
) -> None:
    data.user("Sam Staff", email="sam@test.example", password=PASSWORD)
    anonymous.headers["user-agent"] = "Sam's Browser"
    sign_in(anonymous, "sam@test.example")
    sam = anonymous
    assert sam.get("/people", follow_redirects=False).status_code == 403  # admins only
    with open_app() as admin:
        page = soup(admin.get("/people").text)
        row = next(r for r in page.select("tbody tr") if "Sam Staff" in r.get_text())
        assert "Sam's Browser" in row.get_text() and "from testclient" in row.get_text()
        ending = row.select_one("form[action$='/sessions/end']")
        fields = {i["name"]: i["value"] for i in ending.select("input[type=hidden]")}
        ended = admin.post(ending["action"], data=fields)
        assert "The session has ended." in soup(ended.text).select_one("[role=status]").get_text()
        assert signed_out(sam)  # at once
        row = next(r for r in soup(ended.text).select("tbody tr") if "Sam Staff" in r.get_text())
        assert "Not signed in" in row.get_text()
        refused = admin.post(ending["action"], data={**fields, "session": "' OR 1=1 --"}, follow_redirects=False)
        assert refused.status_code == 400 and "not a session id" in refused.text
