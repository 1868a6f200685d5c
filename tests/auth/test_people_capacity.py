"""Admins set each person's capacity on the People page (issue #20 item 6): from a date on, with
what was typed kept and said back when it is wrong, and a change into a month gone by confirmed."""

from __future__ import annotations

import json
from datetime import date

from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, OpenApp, session_of, sign_in, soup


def capacity_form(page_html: str, name: str):  # type: ignore[no-untyped-def]
    row = next(r for r in soup(page_html).select("tbody tr") if name in r.get_text())
    return row, row.select_one("form.capacity-form")


def send(admin: TestClient, action: str, **fields: str):  # type: ignore[no-untyped-def]
    return admin.post(action, data={"csrf_token": session_of(admin)["csrf"], **fields}, follow_redirects=False)


def test_an_admin_sets_a_capacity_from_a_date(client: TestClient, data: DataBuilder) -> None:
    sam = data.user("Sam Staff")
    data.capacity(sam, date(2026, 1, 1), 40)
    row, form = capacity_form(client.get("/people").text, "Sam Staff")
    assert "40:00 h a week" in row.select_one(".capacity").get_text()
    assert form.select_one("input[name=hours]")["value"] == "40:00"
    assert form.select_one("input[name=from]")["value"] == "2026-11-15"  # today by default
    saved = send(client, form["action"], hours="32", **{"from": "2026-11-16"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/people?capacity={sam}#person-{sam}"
    page = client.get(saved.headers["location"]).text
    assert "The capacity of Sam Staff is saved" in soup(page).select_one("[role=status]").get_text()
    row, _ = capacity_form(page, "Sam Staff")
    text = " ".join(row.select_one(".capacity").get_text(" ").split())
    assert text == "40:00 h a week since 1 Jan 2026 32:00 h a week from 16 Nov 2026"  # today's, then the change
    audit = data.rows("SELECT entity, entity_id, before::text, after::text FROM audit_log")
    assert [(a["entity"], a["entity_id"], json.loads(a["before"]), json.loads(a["after"])) for a in audit] == [
        ("user", sam, {"weekly_minutes": 2400, "from": "2026-11-16"}, {"weekly_minutes": 1920, "from": "2026-11-16"})
    ]


def test_wrong_capacity_input_is_said_in_place_and_saves_nothing(client: TestClient, data: DataBuilder) -> None:
    data.user("Sam Staff")
    _, form = capacity_form(client.get("/people").text, "Sam Staff")
    for fields, field, message in (
        ({"hours": "forty", "from": "2026-11-16"}, "hours", "Hours a week “forty” is not a duration"),
        ({"hours": "169", "from": "2026-11-16"}, "hours", "Hours a week must be from 0 to 168."),
        ({"hours": "", "from": "2026-11-16"}, "hours", "Hours a week is required"),
        ({"hours": "40", "from": "2026-02-30"}, "from", "is not a date that exists"),
        ({"hours": "40", "from": "1900-01-01"}, "from", "From must be between"),
    ):
        refused = send(client, form["action"], **fields)
        assert refused.status_code == 422, fields
        _, sent = capacity_form(refused.text, "Sam Staff")
        assert message in sent.select_one(f"#capacity-{field}-{form['action'].split('/')[2]}-error").get_text(), fields
        assert sent.select_one(f"input[name={field}]")["aria-invalid"] == "true"
        assert [f["name"] for f in sent.select("[autofocus]")] == [field]  # a page load: the browser focuses it
        assert sent.select_one("input[name=hours]")["value"] == fields["hours"]  # as typed
    assert data.val("SELECT count(*) FROM user_capacity") == 0
    assert (
        send(client, "/people/99999999999999999999999/capacity", hours="40", **{"from": "2026-11-16"}).status_code
        == 404
    )


def test_a_change_into_a_month_gone_by_is_confirmed_first(client: TestClient, data: DataBuilder) -> None:
    sam = data.user("Sam Staff")
    _, form = capacity_form(client.get("/people").text, "Sam Staff")
    asked = send(client, form["action"], hours="20", **{"from": "2026-10-05"})
    assert asked.status_code == 200
    _, sent = capacity_form(asked.text, "Sam Staff")
    assert "changes Sam Staff's utilization of months already gone by" in sent.select_one("[role=alert]").get_text()
    assert data.val("SELECT count(*) FROM user_capacity") == 0  # not yet
    fields = {i["name"]: i["value"] for i in sent.select("input") if i.get("name") != "csrf_token"}
    assert fields == {"hours": "20", "from": "2026-10-05", "confirm": "1"}
    assert send(client, form["action"], **fields).status_code == 303
    assert data.rows("SELECT from_date, weekly_minutes FROM user_capacity WHERE user_id = :u", u=sam) == [
        {"from_date": date(2026, 10, 5), "weekly_minutes": 1200}
    ]
    # This month needs no confirmation.
    assert send(client, form["action"], hours="24", **{"from": "2026-11-02"}).status_code == 303


def test_staff_cannot_set_a_capacity(open_app: OpenApp, data: DataBuilder, anonymous: TestClient) -> None:
    sam = data.user("Sam Staff", email="sam@test.example", password=PASSWORD)
    sign_in(anonymous, "sam@test.example")
    refused = send(anonymous, f"/people/{sam}/capacity", hours="80", **{"from": "2026-11-16"})
    assert refused.status_code == 403
    assert data.val("SELECT count(*) FROM user_capacity") == 0


def test_an_admin_sets_a_cost_rate_and_the_margins_follow(client: TestClient, data: DataBuilder) -> None:
    """Cost rates (issue #20 item 5): from a date on, confirmed for a month gone by, said back when
    wrong; time from that day is costed again, and the client's margin shows it at once."""
    sam = data.user("Sam Staff")
    acme = data.client("Acme", rate_cents=10_000)
    for day in (3, 20):
        data.entry(acme, sam, date(2026, 11, day), 120, 10_000)
    margin = f"/partials/clients/margin?client={acme}&period=this_month"
    assert soup(client.get(margin).text).select_one(".figure").text == "€400"  # no cost yet
    row = next(r for r in soup(client.get("/people").text).select("tbody tr") if "Sam Staff" in r.get_text())
    form = row.select("form.capacity-form")[1]
    assert form["action"] == f"/people/{sam}/cost" and "None set" in row.select(".capacity")[1].get_text()
    for typed, message in (("-5", "Cost per hour"), ("abc", "Cost per hour"), ("", "Cost per hour is required")):
        sent = send(client, form["action"], rate=typed, **{"from": "2026-11-10"})
        assert sent.status_code == 422
        assert message in soup(sent.text).select_one(f"#cost-rate-{sam}-error").get_text()
    assert data.val("SELECT count(*) FROM user_cost_rates") == 0
    saved = send(client, form["action"], rate="45", **{"from": "2026-11-10"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/people?cost={sam}#person-{sam}"
    page = client.get(saved.headers["location"]).text
    assert "The cost rate of Sam Staff is saved" in page
    assert soup(client.get(margin).text).select_one(".figure").text == "€310"  # the 20th's 2 h at €45
    # From October: a month gone by, asked first; then both entries cost €45/h.
    asked = send(client, form["action"], rate="45", **{"from": "2026-10-01"})
    assert asked.status_code == 200 and "costs and margins of months already gone by" in asked.text
    assert data.val("SELECT count(*) FROM user_cost_rates") == 1
    send(client, form["action"], rate="45", confirm="1", **{"from": "2026-10-01"})
    assert soup(client.get(margin).text).select_one(".figure").text == "€220"
    audit = data.rows("SELECT after::text FROM audit_log ORDER BY id")
    assert [json.loads(a["after"]) for a in audit] == [
        {"cost_rate_cents": 4_500, "from": "2026-11-10"},
        {"cost_rate_cents": 4_500, "from": "2026-10-01"},
    ]
