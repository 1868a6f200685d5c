"""The timesheet: logging, validation, editing with optimistic locking, deleting, audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.support import DataBuilder, soup
from tests.timesheets.conftest import entries, log


def test_log_time_resolves_the_rate(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    response = log(sam, client_id=str(office["acme"]), service_id=str(office["acme_hourly"]), duration="1.5")
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "entries-changed"
    assert "Logged 1:30 h on Thu 12 Nov." in soup(response.text).select_one(".notice--ok").text
    log(sam, client_id=str(office["acme"]), duration="0:45")  # no service: the client's rate
    log(sam, client_id=str(office["bolt"]), duration="2", billable="")  # no client rate: Sam's own
    assert [(e["minutes"], e["rate_cents"], e["billable"]) for e in entries(data)] == [
        (90, 15_000, True),
        (45, 9_000, True),
        (120, 6_000, False),
    ]
    audit = data.rows("SELECT entity, action, user_id, client_id, after FROM audit_log ORDER BY id")
    assert [(a["entity"], a["action"], a["user_id"]) for a in audit] == [("entry", "create", office["sam"])] * 3
    assert json.loads(audit[0]["after"])["minutes"] == 90


def test_time_logged_for_another_week_says_where_to_see_it_and_keeps_the_service(
    sam: TestClient, office: dict[str, int]
) -> None:
    acme, hourly = str(office["acme"]), str(office["acme_hourly"])
    on_this_week = {"HX-Request": "true", "HX-Current-URL": "http://testserver/timesheet"}  # today: Sun 15 Nov
    logged = soup(log(sam, client_id=acme, service_id=hourly, work_date="2026-11-03", headers=on_this_week).text)
    link = logged.select_one(".notice--ok a")
    assert link.get_text() == "Show the week of 2 November"
    assert link["href"] == f"/timesheet?user={office['sam']}&week=2026-11-02"
    # The next entry starts from the same client and service (time is often logged in a row).
    assert logged.select_one("#entry-client option[selected]")["value"] == acme
    assert logged.select_one("#entry-service option[selected]")["value"] == hourly
    # Logged in the week on screen: it shows there, nothing to link to.
    on_that_week = {**on_this_week, "HX-Current-URL": "http://testserver/timesheet?week=2026-11-02"}
    again = soup(log(sam, client_id=acme, work_date="2026-11-04", headers=on_that_week).text)
    assert again.select_one(".notice--ok a") is None
    # A page address that is no address (anyone can send the header): this week is assumed.
    garbled = log(sam, client_id=acme, work_date="2026-11-12", headers={**on_this_week, "HX-Current-URL": "http://[x"})
    assert garbled.status_code == 200 and soup(garbled.text).select_one(".notice--ok a") is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"work_date": ""}, "work_date", "Date is required."),
        ({"work_date": "2026-02-30"}, "work_date", "is not a date that exists"),
        ({"client_id": ""}, "client_id", "Choose a client."),
        ({"client_id": "abc"}, "client_id", "Client must be an id (a positive whole number)."),
        ({"duration": ""}, "duration", "Duration is required"),
        ({"duration": "lots"}, "duration", "is not a duration; write 1:30 or 1.5."),
        ({"duration": "\u0661"}, "duration", "is not a duration"),  # an Arabic-Indic one: digits are 0-9
        ({"work_date": "20261112"}, "work_date", "is not a date that exists; use YYYY-MM-DD."),
        ({"duration": "0:00"}, "duration", "between 1 minute and 24 hours"),
        ({"duration": "24:01"}, "duration", "between 1 minute and 24 hours"),
        ({"duration": "25"}, "duration", "between 1 minute and 24 hours"),
        ({"description": "x" * 2001}, "description", "at most 2000 characters"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(
    sam: TestClient, office: dict[str, int], data: DataBuilder, fields: dict[str, str], field: str, message: str
) -> None:
    form = {"client_id": str(office["acme"]), "description": "kept as typed", **fields}
    response = log(sam, **form)
    assert response.status_code == 422
    page = soup(response.text)
    assert message in page.select_one(f"#entry-error-{field}").text
    assert page.select_one(f"[name={field}]")["aria-invalid"] == "true"
    if field != "description":
        assert page.select_one("#entry-description").text == "kept as typed"
    assert entries(data) == []


def test_a_service_must_belong_to_the_client(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    response = log(sam, client_id=str(office["acme"]), service_id=str(office["bolt_hourly"]))
    assert response.status_code == 422
    form = soup(response.text)
    assert "does not belong to the chosen client" in form.select_one("#entry-error-service_id").text
    select = form.select_one("#entry-service")
    assert (select["aria-invalid"], select["aria-describedby"]) == ("true", "entry-error-service_id")
    assert select.has_attr("autofocus")  # the one field to correct
    assert entries(data) == []


def test_html_in_a_description_is_stored_as_text_and_shown_escaped(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), description="<script>alert(1)</script>")
    assert entries(data)[0]["description"] == "<script>alert(1)</script>"
    page = sam.get("/timesheet?week=2026-11-12").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_week_shows_hours_per_day(sam: TestClient, office: dict[str, int]) -> None:
    log(sam, client_id=str(office["acme"]), duration="1:30", work_date="2026-11-10")
    log(sam, client_id=str(office["acme"]), duration="0:30", work_date="2026-11-10", billable="")
    page = soup(sam.get("/timesheet?week=2026-11-12").text)
    assert "Week of 9 November 2026" in page.select_one("#week-title").text
    tuesday = page.select(".week__day")[1]
    assert "Tuesday 10 Nov" in tuesday.text and "2:00 h" in tuesday.text and "1:30 h billable" in tuesday.text
    assert page.select_one("#week")["hx-trigger"] == "entries-changed from:body"
    assert "Week of 2 November" in sam.get(page.select_one(".week-nav a")["href"]).text


def test_the_week_says_its_utilization_of_the_persons_capacity(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), duration="10:00", work_date="2026-11-10")
    log(sam, client_id=str(office["acme"]), duration="1:00", work_date="2026-11-11", billable="")
    title = " ".join(soup(sam.get("/timesheet?week=2026-11-12").text).select_one("#week-title").text.split())
    assert title.endswith("11:00 h · 10:00 h billable")  # no capacity set: nothing to compare with
    data.capacity(office["sam"], date(2026, 1, 1), 40)
    data.capacity(office["sam"], date(2026, 11, 12), 20)  # half time from Thursday
    title = " ".join(soup(sam.get("/timesheet?week=2026-11-12").text).select_one("#week-title").text.split())
    # Monday to Wednesday at 8 h, Thursday and Friday at 4 h: 32 h; 10 h billable.
    assert title.endswith("11:00 h · 10:00 h billable · 31.3% of 32:00 h capacity")


def test_services_follow_the_client(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    options = soup(sam.get(f"/timesheet/services?client_id={office['bolt']}").text).select("option")
    # Each with the rate it bills time at; the rule for rates is the hint below the field.
    assert [o.get_text() for o in options] == ["No service", "hourly service (hourly · €110.00 / h)"]
    assert options[1]["value"] == str(office["bolt_hourly"])
    free = data.hourly(office["bolt"], 0, start=date(2026, 1, 1))
    options = soup(sam.get(f"/timesheet/services?client_id={office['bolt']}").text).select("option")
    assert {o["value"]: o.get_text() for o in options}[str(free)] == "hourly service (hourly · time free)"
    hint = " ".join(soup(sam.get("/timesheet").text).select_one("#entry-rate-rule").get_text().split())
    assert "else the client's" in hint and "unless it moves to another client or service" in hint
    assert sam.get("/timesheet/services?client_id=nope").status_code == 200


def test_ended_services_come_last_and_say_so(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    old = data.hourly(office["bolt"], 9_000, start=date(2025, 1, 1), end=date(2025, 6, 30))
    data.recurring(office["bolt"], 50_000, start=date(2026, 1, 1), end=date(2026, 12, 31))  # ends after today
    options = soup(sam.get(f"/timesheet/services?client_id={office['bolt']}").text).select("option")
    labels = [o.get_text() for o in options]
    assert labels[1] == "hourly service (hourly · €110.00 / h)"  # current ones first, hourly first
    assert labels[-1].endswith("(hourly · €90.00 / h) · ended 30 Jun 2025") and options[-1]["value"] == str(old)
    assert not any("ended" in label for label in labels[:-1])
    launch = data.one_off(office["bolt"], 90_000, on=date(2026, 10, 15))  # done: its day has passed
    options = soup(sam.get(f"/timesheet/services?client_id={office['bolt']}").text).select("option")
    assert options[-2].get_text().endswith("(one-off) · done 15 Oct 2026") and options[-2]["value"] == str(launch)


def test_edit_with_optimistic_locking(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    log(sam, client_id=str(office["acme"]), duration="1:00")
    entry_id = data.val("SELECT id FROM timesheet_entries")
    form = soup(sam.get(f"/timesheet/entries/{entry_id}/edit").text)
    assert form.select_one("#entry-duration")["value"] == "1:00"
    assert form.select_one(".entry-form__mode").text.startswith("Editing the entry of 2026-11-12")
    assert form.select_one("input[name=version]")["value"] == "1"
    fields = {
        "work_date": "2026-11-12",
        "client_id": str(office["acme"]),
        "duration": "2:00",
        "version": "1",
        "billable": "on",
        "description": "first save",
    }
    assert sam.post(f"/timesheet/entries/{entry_id}", data=fields).status_code == 200
    # A second save that read version 1 too is refused, shows the current values, and changes nothing.
    late = sam.post(f"/timesheet/entries/{entry_id}", data={**fields, "duration": "3:00", "description": "late"})
    assert late.status_code == 409
    page = soup(late.text)
    assert "changed by someone else" in page.select_one("[role=alert]").text
    # Their version fills the form; what was typed stays in the message, to be made again.
    assert "Yours, not saved: duration 3:00 h; description “late”." in page.select_one("[role=alert]").text
    assert late.headers["HX-Trigger"] == "entries-changed"  # the week shows their version too
    assert page.select_one("#entry-duration")["value"] == "2:00"
    assert page.select_one("input[name=version]")["value"] == "2"
    assert [(e["minutes"], e["description"], e["version"]) for e in entries(data)] == [(120, "first save", 2)]
    assert data.val("SELECT count(*) FROM audit_log WHERE action = 'update'") == 1


def test_delete_and_its_conflict(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    log(sam, client_id=str(office["acme"]))
    entry_id = data.val("SELECT id FROM timesheet_entries")
    stale = sam.post(f"/timesheet/entries/{entry_id}/delete", data={"version": "7"})
    assert stale.status_code == 409 and entries(data) != []
    done = sam.post(f"/timesheet/entries/{entry_id}/delete", data={"version": "1"})
    assert done.status_code == 200 and "Deleted 1:30 h for Acme" in done.text
    assert done.headers["HX-Trigger"] == "entries-changed"
    assert entries(data) == []
    assert json.loads(data.val("SELECT before FROM audit_log WHERE action = 'delete'"))["minutes"] == 90
    assert sam.post(f"/timesheet/entries/{entry_id}/delete", data={"version": "1"}).status_code == 404


def test_staff_touch_only_their_own_time(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    theirs = data.entry(office["acme"], office["kim"], date(2026, 11, 12), 60, 7_000)
    assert sam.get(f"/timesheet?user={office['kim']}").status_code == 403
    assert sam.get(f"/timesheet/entries/{theirs}/edit").status_code == 403
    assert sam.post(f"/timesheet/entries/{theirs}/delete", data={"version": "1"}).status_code == 403
    assert log(sam, client_id=str(office["acme"]), user_id=str(office["kim"])).status_code == 403
    assert len(entries(data)) == 1


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("week=2026-13-01", 400, "Week “2026-13-01” is not a date"),
        ("user=abc", 400, "Person"),
        ("user=424242", 404, "There is no staff member with id 424242."),
    ],
)
def test_a_bad_week_or_person_in_the_address_is_said(client: TestClient, query: str, status: int, message: str) -> None:
    # Not silently this week, or one's own: the page would look right and show the wrong time.
    for path in ("/timesheet", "/timesheet/week"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == status
        assert message in soup(response.text).get_text()


def test_admins_see_and_change_anyone(client: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    theirs = data.entry(office["acme"], office["kim"], date(2026, 11, 12), 60, 7_000)
    page = soup(client.get(f"/timesheet?user={office['kim']}&week=2026-11-12").text)
    assert "Timesheet of Kim Colleague" in page.select_one("h1").text
    assert page.select_one(f"#entry-{theirs}") is not None
    assert client.post(f"/timesheet/entries/{theirs}/delete", data={"version": "1"}).status_code == 200
    # A disabled person's week: the select still names whose week it is (it showed the first name).
    data.val("UPDATE users SET disabled = true WHERE id = :id", id=office["kim"])
    page = soup(client.get(f"/timesheet?user={office['kim']}&week=2026-11-12").text)
    assert page.select_one("#timesheet-user option[selected]").text == "Kim Colleague (disabled)"
    assert "Kim Colleague (disabled)" not in [o.text for o in soup(client.get("/timesheet").text).select("option")]


def test_summaries_per_client_and_per_staff_are_cached_and_refreshed(
    client: TestClient, office: dict[str, int], data: DataBuilder, parts_after_the_shell: None
) -> None:
    data.entry(office["acme"], office["sam"], date(2026, 11, 3), 120, 6_000)
    data.entry(office["bolt"], office["kim"], date(2026, 11, 4), 60, 7_000, billable=False)
    page = soup(client.get("/timesheet").text)
    urls = [el["hx-get"] for el in page.select(".summaries [aria-busy=true][hx-get]")]
    assert urls == [
        "/partials/timesheets/summary?by=client&period=this_month",
        "/partials/timesheets/summary?by=staff&period=this_month",
    ]
    # The page streamed them, computing each once; asked for again, each is a cache hit.
    streamed = {t["data-fill"]: t["data-server-timing"] for t in page.select("template[data-fill]")}
    assert 'cache;desc="miss"' in streamed["summary-client"]
    by_client = client.get(urls[0])
    rows = [[c.get_text() for c in tr.select("th, td")] for tr in soup(by_client.text).select("tbody tr")]
    assert rows == [["Acme", "2:00 h", "2:00 h", "€120"], ["Bolt", "1:00 h", "0:00 h", "€0"]]
    assert 'cache;desc="hit"' in by_client.headers["server-timing"]
    by_staff = soup(client.get(urls[1]).text)
    assert [th.get_text() for th in by_staff.select("tbody th")] == ["Sam Staff", "Kim Colleague"]
    assert soup(client.get(urls[0]).text).select_one("#summary-client")["hx-trigger"] == "entries-changed from:body"
    log(client, client_id=str(office["bolt"]), duration="3:00", user_id=str(office["kim"]))
    fresh = client.get(urls[0])
    assert 'cache;desc="miss"' in fresh.headers["server-timing"]
    assert soup(fresh.text).select("tbody th")[0].get_text() == "Bolt"
    assert client.get("/partials/timesheets/summary?by=planet").status_code == 400


def test_the_staff_summary_shows_each_persons_utilization(
    client: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    data.capacity(office["sam"], date(2026, 1, 1), 40)
    data.capacity(office["kim"], date(2026, 1, 1), 40)
    data.capacity(office["kim"], date(2026, 11, 9), 20)  # half time from Monday 9 November
    ivy = data.user("Ivy Idle")
    data.capacity(ivy, date(2026, 11, 2), 32)  # no time logged: listed, idle
    gone = data.user("Gus Gone")
    data.capacity(gone, date(2026, 1, 1), 40)
    data.capacity(gone, date(2026, 10, 1), 0)  # left before November: not listed
    data.val("INSERT INTO user_cost_rates VALUES (:sam, '2026-11-01', 3000)", sam=office["sam"])  # €30/h
    data.entry(office["acme"], office["sam"], date(2026, 11, 3), 600, 6_000)  # 10 h billable
    data.entry(office["acme"], office["sam"], date(2026, 11, 4), 60, 6_000, billable=False)
    data.entry(office["bolt"], office["kim"], date(2026, 11, 10), 180, 7_000)  # 3 h billable
    data.entry(office["bolt"], office["kim"], date(2026, 11, 20), 240, 7_000)  # logged ahead: not yet counted
    html = soup(client.get("/partials/timesheets/summary?by=staff&period=this_month").text)
    rows = [[c.get_text() for c in tr.select("th, td")] for tr in html.select("tbody tr")]
    # 1-15 November so far: 10 weekdays. Sam 80 h; Kim 5 x 8 h + 5 x 4 h = 60 h; Ivy 10 x 6:24 h = 64 h.
    assert rows == [
        ["Sam Staff", "11:00 h", "10:00 h", "€600", "80:00 h", "12.5%", "€330", "€270"],  # 11 h at €30
        ["Kim Colleague", "7:00 h", "7:00 h", "€490", "60:00 h", "5.0%", "no rate", "–"],  # 3 h of it by today
        ["Ivy Idle", "0:00 h", "0:00 h", "€0", "64:00 h", "0.0%", "€0", "€0"],
    ]
    team = [c.get_text() for c in html.select("tfoot tr > *")]
    assert team == ["Whole team", "13:00 h billable", "204:00 h", "6.4%", ""]  # 13 / 204
    assert "over 1–15 Nov 2026 so far" in html.select_one(".card__note").get_text()
    by_client = soup(client.get("/partials/timesheets/summary?by=client&period=this_month").text)
    assert "Utilization" not in by_client.get_text() and by_client.select_one("tfoot") is None


def test_summaries_are_for_admins(sam: TestClient) -> None:
    assert soup(sam.get("/timesheet").text).select_one(".summaries") is None
    assert sam.get("/partials/timesheets/summary?by=client&period=this_month").status_code == 403


def test_numbers_too_big_for_the_database_are_refused_not_a_500(
    sam: TestClient, client: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    huge = "9" * 19
    assert sam.get(f"/timesheet/services?client_id={huge}").status_code == 200
    assert log(sam, client_id=huge).status_code == 422
    log(sam, client_id=str(office["acme"]))
    entry_id = data.val("SELECT id FROM timesheet_entries")
    assert sam.post(f"/timesheet/entries/{entry_id}/delete", data={"version": "2147483648"}).status_code == 422
    assert sam.post(f"/timesheet/entries/{entry_id}/delete", data={}).status_code == 422
    assert sam.post(f"/timesheet/entries/{huge}0/delete", data={"version": "1"}).status_code == 404
    assert client.post(f"/clients/{huge}0", data={"name": "x", "status": "lead", "version": "1"}).status_code == 404
    assert client.get(f"/clients/{office['acme']}/services/{huge}0/edit").status_code == 404
    assert len(entries(data)) == 1


def test_a_failed_edit_keeps_the_version_that_was_read(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), duration="1:00")
    entry_id = data.val("SELECT id FROM timesheet_entries")
    data.val("UPDATE timesheet_entries SET minutes = 45, version = 2 WHERE id = :id", id=entry_id)  # someone else
    fields = {"work_date": "2026-11-12", "client_id": str(office["acme"]), "duration": "oops", "version": "1"}
    typo = sam.post(f"/timesheet/entries/{entry_id}", data=fields)
    assert typo.status_code == 422
    assert soup(typo.text).select_one("input[name=version]")["value"] == "1"
    resubmit = sam.post(f"/timesheet/entries/{entry_id}", data={**fields, "duration": "2:00"})
    assert resubmit.status_code == 409  # not a silent overwrite of the other change
    assert entries(data)[0]["minutes"] == 45


def test_the_weeks_csv_is_the_persons_own(client: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    data.entry(office["acme"], office["sam"], date(2026, 11, 12), 60, 6_000)
    data.entry(office["acme"], office["kim"], date(2026, 11, 12), 30, 7_000)
    link = soup(client.get(f"/timesheet?user={office['kim']}&week=2026-11-12").text).select_one("a[download]")["href"]
    assert f"user={office['kim']}" in link
    rows = client.get(link).text.strip().splitlines()
    assert len(rows) == 2 and "Kim Colleague" in rows[1]


def test_no_time_for_a_churned_client(sam: TestClient, data: DataBuilder) -> None:
    gone = data.client("Gone Co", status="churned")
    response = log(sam, client_id=str(gone))
    assert response.status_code == 422
    assert "has churned" in soup(response.text).select_one("#entry-error-client_id").text
    assert entries(data) == []


def test_an_entry_keeps_its_client_after_the_client_churned(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), duration="1:00")
    entry_id = data.val("SELECT id FROM timesheet_entries")
    data.val("UPDATE clients SET status = 'churned' WHERE id = :id", id=office["acme"])
    form = soup(sam.get(f"/timesheet/entries/{entry_id}/edit").text)
    assert form.select_one("#entry-client option[selected]").text == "Acme (churned)"
    fields = {"work_date": "2026-11-12", "client_id": str(office["acme"]), "duration": "1:00", "version": "1"}
    saved = sam.post(f"/timesheet/entries/{entry_id}", data={**fields, "description": "a note added later"})
    assert saved.status_code == 200
    assert [(e["client_id"], e["description"]) for e in entries(data)] == [(office["acme"], "a note added later")]
    # A new entry is not offered the churned client, nor when it comes back with an error.
    blank = soup(sam.get("/timesheet").text)
    assert "Acme (churned)" not in [o.text for o in blank.select("#entry-client option")]
    refused = soup(log(sam, client_id=str(office["acme"]), duration="lots").text)
    assert "Acme (churned)" not in [o.text for o in refused.select("#entry-client option")]
    # An edit that moved to another client and came back with an error still offers its own.
    moved = sam.post(
        f"/timesheet/entries/{entry_id}",
        data={**fields, "client_id": str(office["bolt"]), "duration": "x", "version": "2"},
    )
    assert "Acme (churned)" in [o.text for o in soup(moved.text).select("#entry-client option")]


def test_the_clients_a_person_logged_time_for_lately_come_first(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    cold = data.client("Cold Case")
    log(sam, client_id=str(cold), work_date="2026-10-01")  # more than 30 days before today (15 Nov)
    log(sam, client_id=str(office["acme"]), work_date="2026-11-10")
    form = soup(log(sam, client_id=str(office["bolt"]), work_date="2026-11-12").text)  # type: ignore[attr-defined]
    recent = form.select("#entry-client optgroup[label=Recent] option")
    assert [o.text for o in recent] == ["Bolt", "Acme"]  # the latest first
    everyone = [o.text for o in form.select("#entry-client optgroup[label='All clients'] option")]
    assert everyone == ["Acme", "Bolt", "Cold Case"]
    # The form is ready for the next entry for Bolt: one option selected, the recent one.
    assert [(o.parent["label"], o.text) for o in form.select("#entry-client option[selected]")] == [("Recent", "Bolt")]
    # Someone else's time does not count as Sam's.
    data.val(
        "INSERT INTO timesheet_entries (user_id, client_id, work_date, minutes, billable, rate_cents) "
        "VALUES (:u, :c, '2026-11-14', 60, true, 0) RETURNING id",
        u=office["kim"],
        c=cold,
    )
    page = soup(sam.get("/timesheet").text)
    assert [o.text for o in page.select("#entry-client optgroup[label=Recent] option")] == ["Bolt", "Acme"]


def test_without_recent_time_the_clients_are_one_plain_list(sam: TestClient, office: dict[str, int]) -> None:
    page = soup(sam.get("/timesheet").text)
    assert page.select("#entry-client optgroup") == []
    assert [o.text for o in page.select("#entry-client option")] == ["Choose a client…", "Acme", "Bolt"]


def test_tampered_hidden_fields_are_said_and_nothing_is_saved(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    response = log(sam, client_id=str(office["acme"]), user_id="abc")
    assert response.status_code == 422
    assert "Person" in soup(response.text).select_one("#entry-error-user_id").text  # type: ignore[attr-defined]
    assert entries(data) == []


def test_saving_an_entry_deleted_meanwhile_offers_to_log_it_anew(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), duration="1:00")
    entry_id = data.val("SELECT id FROM timesheet_entries")
    data.val("DELETE FROM timesheet_entries WHERE id = :id RETURNING id", id=entry_id)  # in another tab
    typed = {
        "user_id": str(office["sam"]),
        "work_date": "2026-11-13",
        "client_id": str(office["bolt"]),
        "duration": "2:15",
        "description": "typed meanwhile",
        "version": "1",
    }
    response = sam.post(f"/timesheet/entries/{entry_id}", data=typed)
    assert response.status_code == 409
    assert response.headers["HX-Trigger"] == "entries-changed"  # the week reloads without it
    form = soup(response.text).select_one("#entry-form")
    assert form["hx-post"] == "/timesheet/entries"  # a new entry's form
    assert form.select_one("input[name=version]") is None
    assert form.select_one("button[type=submit]").text == "Log time"
    said = form.select_one("[role=alert]").text
    assert "deleted meanwhile" in said and "Saving will log what is below as a new entry." in said
    assert form.select_one("#entry-date")["value"] == "2026-11-13"
    assert form.select_one("#entry-client option[selected]")["value"] == str(office["bolt"])
    assert form.select_one("#entry-duration")["value"] == "2:15"
    assert form.select_one("#entry-description").text == "typed meanwhile"
    assert form.select_one("#entry-billable").get("checked") is None  # unticked, as sent
    assert entries(data) == []
    again = log(sam, **{k: v for k, v in typed.items() if k != "version"})
    assert again.status_code == 200
    assert [(e["client_id"], e["minutes"], e["description"]) for e in entries(data)] == [
        (office["bolt"], 135, "typed meanwhile")
    ]


def test_editing_or_deleting_an_entry_deleted_meanwhile_keeps_a_form_and_reloads_the_week(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    gone = data.entry(office["acme"], office["sam"], date(2026, 11, 12), 60, 6_000)
    data.val("DELETE FROM timesheet_entries WHERE id = :id RETURNING id", id=gone)
    edit = sam.get(f"/timesheet/entries/{gone}/edit?user_id={office['sam']}")
    assert edit.status_code == 404 and edit.headers["HX-Trigger"] == "entries-changed"
    form = soup(edit.text).select_one("#entry-form")
    assert form["hx-post"] == "/timesheet/entries"
    assert "deleted meanwhile" in form.select_one("[role=alert]").text
    delete = sam.post(f"/timesheet/entries/{gone}/delete", data={"version": "1"})
    assert delete.status_code == 404 and delete.headers["HX-Trigger"] == "entries-changed"
    # Someone else's form is still not shown to staff.
    assert sam.get(f"/timesheet/entries/{gone}/edit?user_id={office['kim']}").status_code == 403


def test_the_edit_form_takes_focus_and_has_a_cancel(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    page = soup(sam.get("/timesheet").text)
    assert page.select("#entry-form [autofocus]") == []  # the page itself does not jump to the form
    entry_id = data.entry(office["acme"], office["sam"], date(2026, 11, 12), 60, 6_000)
    edit = soup(sam.get(f"/timesheet/entries/{entry_id}/edit?user_id={office['sam']}").text)
    assert [el["id"] for el in edit.select("[autofocus]")] == ["entry-date"]  # the form's first field
    cancel = edit.select_one(".entry-form__cancel")
    assert cancel["hx-get"] == f"/timesheet/entries/new?user_id={office['sam']}"
    blank = soup(sam.get(cancel["hx-get"]).text)
    assert [el["id"] for el in blank.select("[autofocus]")] == ["entry-date"]
    assert blank.select_one(".entry-form__cancel") is None


def test_a_summary_cut_at_20_rows_says_how_many_more_there_are(
    client: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    for n in range(23):
        data.entry(data.client(f"Client {n:02d}"), office["sam"], date(2026, 11, 3), 60 + n, 6_000)
    by_client = soup(client.get("/partials/timesheets/summary?by=client&period=this_month").text)
    assert len(by_client.select("tbody tr")) == 20
    assert by_client.select_one(".card__note").text.startswith("and 3 more")
    show_all = by_client.select_one(".card__note button")
    assert (show_all.text, show_all["hx-target"]) == ("Show all", "#summary-client")
    everyone = soup(client.get(show_all["hx-get"]).text)
    assert len(everyone.select("tbody tr")) == 23 and everyone.select_one(".card__note") is None
    assert "all=1" in everyone.select_one("#summary-client")["hx-get"]  # it reloads as it is, after a write
    wrong = client.get("/partials/timesheets/summary?by=client&period=this_month&all=yes")
    assert wrong.status_code == 400 and "all: 1 (every row) or left out" in wrong.text
    by_staff = soup(client.get("/partials/timesheets/summary?by=staff&period=this_month").text)
    assert len(by_staff.select("tbody tr")) == 1 and "more" not in by_staff.get_text()


def test_a_conflict_names_only_what_was_changed_in_the_refused_form(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    """Two people open the same entry; one changes its duration and saves; the other changes only its
    description. The refused save names the description alone: redoing its duration too would undo
    the first person's change."""
    log(sam, client_id=str(office["acme"]), duration="1:00", description="first")
    entry_id = data.val("SELECT id FROM timesheet_entries")
    edit = f"/timesheet/entries/{entry_id}/edit"
    fields = {i["name"]: i.get("value", "") for i in soup(sam.get(edit).text).select("#entry-form input[name]")}
    fields.update(client_id=str(office["acme"]), billable="on", description="first")  # the select and textarea
    assert json.loads(fields["loaded"])["description"] == "first"  # the form says what it was loaded with
    assert sam.post(f"/timesheet/entries/{entry_id}", data={**fields, "duration": "2:15"}).status_code == 200
    late = sam.post(f"/timesheet/entries/{entry_id}", data={**fields, "description": "mine"})
    assert late.status_code == 409
    alert = " ".join(soup(late.text).select_one("[role=alert]").text.split())
    assert alert.endswith("Yours, not saved: description “mine”.")


def test_moving_an_entry_says_it_is_priced_at_the_new_clients_rate(
    sam: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    log(sam, client_id=str(office["acme"]), duration="1:00")  # Acme's rate: €90
    entry_id = data.val("SELECT id FROM timesheet_entries")
    fields = {"work_date": "2026-11-12", "client_id": str(office["acme"]), "duration": "2:00", "version": "1"}
    kept = soup(sam.post(f"/timesheet/entries/{entry_id}", data=fields).text)
    assert kept.select_one("[role=status]").get_text(strip=True) == "Entry saved."  # same client: same rate
    moved = sam.post(
        f"/timesheet/entries/{entry_id}", data={**fields, "client_id": str(office["bolt"]), "version": "2"}
    )
    said = soup(moved.text).select_one("[role=status]").get_text(" ", strip=True)
    # Bolt has no rate of its own: Sam's €60 applies, and the form says so where the change was made.
    assert "priced at that one's rate: €60.00 an hour (was €90.00)" in said
    assert data.val("SELECT rate_cents FROM timesheet_entries") == 6_000
