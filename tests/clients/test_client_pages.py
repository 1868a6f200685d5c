"""The client page, creating and editing clients, and managing services."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.support import PASSWORD, DataBuilder, OpenApp, server_timing, session_of, sign_in, soup
from web.clients.partials import PARTIALS
from web.settings import Settings, SettingsError


@pytest.fixture
def acme(data: DataBuilder) -> dict[str, int]:
    manager = data.user("Mia Manager")
    sam = data.user("Sam Staff", email="sam@test.example", password=PASSWORD)
    client_id = data.client("Acme", manager_id=manager, rate_cents=10_000)
    retainer = data.recurring(client_id, 200_000, start=date(2025, 1, 1))
    for day in range(1, 26):
        data.entry(client_id, sam, date(2026, 11, day % 28 + 1), 60, 10_000)
    return {"client": client_id, "retainer": retainer, "manager": manager, "sam": sam}


def test_the_page_shell_has_a_placeholder_per_partial(
    client: TestClient, acme: dict[str, int], parts_after_the_shell: None
) -> None:
    page = soup(client.get(f"/clients/{acme['client']}").text)
    assert page.select_one("h1").text == "Acme"
    urls = [el["hx-get"] for el in page.select(".client-grid [aria-busy=true][hx-get]")]  # streamed after it
    assert urls == [f"/partials/{p.name}?client={acme['client']}&period=this_month" for p in PARTIALS]
    assert page.select_one("#client-form") is not None  # admins manage the client here
    assert page.select_one("#service-editor")["hx-get"] == f"/clients/{acme['client']}/services/new"


def test_staff_see_the_client_but_cannot_manage_it(anonymous: TestClient, acme: dict[str, int]) -> None:
    sign_in(anonymous, "sam@test.example")
    page = soup(anonymous.get(f"/clients/{acme['client']}").text)
    assert page.select_one("#client-form") is None and "History" not in page.text
    services = anonymous.get(f"/partials/clients/services?client={acme['client']}")
    assert "End today" not in services.text  # no controls for staff
    form = {"name": "Renamed", "status": "active", "version": "1"}
    assert anonymous.post(f"/clients/{acme['client']}", data=form).status_code == 403
    assert anonymous.get("/clients/new").status_code == 403
    # Cost and margin are admins': not on the staff's page, and refused when asked for.
    assert page.select_one("#client-margin") is None and "Gross margin" not in page.text
    assert anonymous.get(f"/partials/clients/margin?client={acme['client']}").status_code == 403


def test_admins_see_the_clients_cost_and_margin(client: TestClient, acme: dict[str, int], data: DataBuilder) -> None:
    query = f"/partials/clients/margin?client={acme['client']}&period=this_month"
    uncosted = soup(client.get(query).text)
    assert uncosted.select_one(".figure").text == "€4,500"  # nobody's time has a cost yet
    assert "25:00 h logged by people without a cost rate count as no cost" in uncosted.text
    cost = {"csrf_token": session_of(client)["csrf"], "rate": "40", "from": "2026-11-01"}
    assert client.post(f"/people/{acme['sam']}/cost", data=cost, follow_redirects=False).status_code == 303
    costed = soup(client.get(query).text)
    assert costed.select_one(".figure").text == "€3,500"  # €4,500 less 25 h at €40
    assert "77.8% of revenue" in costed.select_one(".card__note").text
    assert "Cost of time€1,000" in costed.select_one(".split").get_text(strip=True)
    assert "without a cost rate" not in costed.text


def test_partials_show_the_clients_figures(client: TestClient, acme: dict[str, int]) -> None:
    query = f"?client={acme['client']}&period=this_month"
    figures = soup(client.get("/partials/clients/figures" + query).text)
    assert figures.select_one(".figure").text == "€4,500"  # €2,000 retainer + 25 h at €100
    assert "€2,500" in figures.select_one(".split").text
    assert "Per hour logged€180 / h" in figures.select_one(".split").get_text(strip=True)  # €4,500 over 25 h
    services = soup(client.get("/partials/clients/services" + query).text)
    assert [th.text for th in services.select("tbody th")] == ["recurring service"]
    assert "End today" in services.text  # admins get controls
    entries = soup(client.get("/partials/clients/entries" + query).text)
    assert len(entries.select("tbody tr")) == 20
    assert "Page 1 of 2 · 25 entries" in entries.select_one(".pager").text
    older = entries.select_one(".pager button")["hx-get"]
    assert len(soup(client.get(older).text).select("tbody tr")) == 5
    chart = soup(client.get("/partials/clients/chart" + query).text)
    assert len(chart.select(".chart__table tbody tr")) == 24
    assert client.get("/partials/clients/figures?client=424242").status_code == 404


def test_a_custom_period_is_shown_and_kept(client: TestClient, acme: dict[str, int]) -> None:
    page = soup(client.get(f"/clients/{acme['client']}?period=custom&from=2026-06-01&to=2026-06-30").text)
    chosen = page.select_one("#client-period option[selected]")
    assert (chosen["value"], chosen.text) == ("custom", "2026-06-01 – 2026-06-30")
    kept = {i["name"]: i["value"] for i in page.select(".client-head form input[type=hidden]")}
    assert kept == {"from": "2026-06-01", "to": "2026-06-30"}
    named = soup(client.get(f"/clients/{acme['client']}?period=last_month").text)
    assert named.select_one("#client-period option[selected]")["value"] == "last_month"
    assert named.select(".client-head form input[type=hidden]") == []


def test_unknown_client_and_bad_period(client: TestClient, acme: dict[str, int]) -> None:
    assert client.get("/clients/424242").status_code == 404
    assert client.get("/clients/99999999999999999999999").status_code == 404
    assert client.get(f"/clients/{acme['client']}?period=fortnight").status_code == 400
    # A refusal says what it is; "Sign in" is for a session that ended.
    missing = soup(client.get("/clients/424242").text)
    assert missing.select_one("h1").text == "Page not found"
    assert missing.select_one("link[rel=icon]")["href"].startswith("/static/favicon.svg?v=")  # as on every page
    assert soup(client.get(f"/clients/{acme['client']}?period=fortnight").text).select_one("h1").text == (
        "Request not understood"
    )


def test_a_tampered_version_is_said_and_nothing_is_saved(
    client: TestClient, acme: dict[str, int], data: DataBuilder
) -> None:
    form = {"name": "Acme Group", "status": "active", "manager_id": "", "hourly_rate": "", "version": "abc"}
    refused = client.post(f"/clients/{acme['client']}", data=form)
    assert refused.status_code == 422
    assert "Version" in soup(refused.text).select_one("#client-error-version").text
    assert data.val("SELECT name FROM clients WHERE id = :id", id=acme["client"]) != "Acme Group"


def test_a_client_form_without_its_version_says_to_reload(
    client: TestClient, acme: dict[str, int], data: DataBuilder
) -> None:
    refused = client.post(f"/clients/{acme['client']}", data={"name": "Acme Group", "status": "active"})
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#client-error-version").text == (
        "This form is missing its version; reload the page and try again."
    )
    assert data.val("SELECT name FROM clients WHERE id = :id", id=acme["client"]) == "Acme"


def test_create_a_client(client: TestClient, data: DataBuilder) -> None:
    bad = client.post("/clients", data={"name": "", "status": "happy", "hourly_rate": "-5"})
    assert bad.status_code == 422
    page = soup(bad.text)
    assert page.select_one("#client-error-name").text == "Name is required."
    assert "Choose a status" in page.select_one("#client-error-status").text
    assert "between €0 and" in page.select_one("#client-error-hourly_rate").text
    assert data.val("SELECT count(*) FROM clients") == 0
    made = client.post(
        "/clients", data={"name": "Nova <b>Labs</b>", "status": "lead", "hourly_rate": "125.50"}, follow_redirects=False
    )
    assert made.status_code == 303
    row = data.rows("SELECT id, name, hourly_rate_cents FROM clients")[0]
    assert made.headers["location"] == f"/clients/{row['id']}"
    assert (row["name"], row["hourly_rate_cents"]) == ("Nova <b>Labs</b>", 12_550)
    assert "Nova &lt;b&gt;Labs&lt;/b&gt;" in client.get(made.headers["location"]).text


def test_service_forms_of_a_client_that_does_not_exist(client: TestClient, data: DataBuilder) -> None:
    assert client.get("/clients/99999/services/new").status_code == 404
    form = {"name": "Hosting", "kind": "recurring", "price": "300", "start_date": "2026-11-01"}
    assert client.post("/clients/99999/services", data=form).status_code == 404
    assert data.val("SELECT count(*) FROM services") == 0


def test_create_errors_replace_the_form_alone(client: TestClient, data: DataBuilder) -> None:
    """htmx swaps the answer into the form: a whole page there would nest the page in itself."""
    bad = client.post("/clients", data={"name": "", "status": "lead"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    fragment = soup(bad.text)
    assert fragment.select_one("form#client-form") is not None
    assert fragment.select_one("#client-error-name").text == "Name is required."
    assert fragment.select("h1, header, nav") == []


def test_the_first_field_to_correct_takes_the_focus(client: TestClient, data: DataBuilder) -> None:
    """autofocus on the first invalid field, in the form's order (not the order it was judged in):
    htmx focuses it when it swaps the form in."""
    form = {"name": "", "status": "lead", "manager_id": "abc", "hourly_rate": "-1"}
    fragment = soup(client.post("/clients", data=form, headers={"HX-Request": "true"}).text)
    assert [field["name"] for field in fragment.select("[aria-invalid=true]")] == ["name", "manager_id", "hourly_rate"]
    assert [field["name"] for field in fragment.select("[autofocus]")] == ["name"]
    form["name"] = "Acme"
    fragment = soup(client.post("/clients", data=form, headers={"HX-Request": "true"}).text)
    assert [field["name"] for field in fragment.select("[autofocus]")] == ["manager_id"]


def test_a_disabled_manager_stays_until_changed(client: TestClient, acme: dict[str, int], data: DataBuilder) -> None:
    data.val("UPDATE users SET disabled = true WHERE id = :id", id=acme["manager"])
    page = soup(client.get(f"/clients/{acme['client']}").text)
    chosen = page.select_one("#client-manager option[selected]")
    assert (chosen["value"], chosen.text) == (str(acme["manager"]), "Mia Manager (disabled)")
    # Saving another field keeps them; a new client's form does not offer them.
    form = {"name": "Acme", "status": "paused", "manager_id": chosen["value"], "hourly_rate": "100", "version": "1"}
    saved = client.post(f"/clients/{acme['client']}", data=form)
    assert saved.status_code == 200
    assert soup(saved.text).select_one("#client-manager option[selected]").text == "Mia Manager (disabled)"
    assert data.val("SELECT account_manager_id FROM clients") == acme["manager"]
    # Shown again after a wrong field, they are still offered: the next save would drop them.
    wrong = client.post(f"/clients/{acme['client']}", data={**form, "hourly_rate": "lots", "version": "2"})
    assert wrong.status_code == 422
    assert soup(wrong.text).select_one("#client-manager option[selected]").text == "Mia Manager (disabled)"
    new = soup(client.get("/clients/new").text)
    assert str(acme["manager"]) not in [o["value"] for o in new.select("#client-manager option")]


def test_a_disabled_manager_cannot_be_given_to_another_client(
    client: TestClient, acme: dict[str, int], data: DataBuilder
) -> None:
    """The forms do not offer them; a request made by hand is refused the same way, saving nothing."""
    data.val("UPDATE users SET disabled = true WHERE id = :id", id=acme["manager"])
    other = data.client("Birch", rate_cents=None)
    made = client.post("/clients", data={"name": "Nova", "status": "lead", "manager_id": str(acme["manager"])})
    moved = client.post(
        f"/clients/{other}",
        data={"name": "Birch", "status": "active", "manager_id": str(acme["manager"]), "version": "1"},
    )
    for refused in (made, moved):
        assert refused.status_code == 422
        error = soup(refused.text).select_one("#client-error-manager_id").text
        assert error == "This account manager is disabled: choose someone else."
    assert data.val("SELECT count(*) FROM clients WHERE name = 'Nova'") == 0
    assert data.val("SELECT account_manager_id FROM clients WHERE id = :id", id=other) is None


def test_a_stale_form_is_a_conflict_before_its_fields_are_judged(
    client: TestClient, acme: dict[str, int], data: DataBuilder
) -> None:
    """Acme's manager is disabled and someone gives Acme to Sam: a form read before that, still
    naming the disabled manager, shows Sam's version (409), not a complaint about the manager."""
    data.val("UPDATE users SET disabled = true WHERE id = :id", id=acme["manager"])
    form = form_fields(client.get(f"/clients/{acme['client']}").text, "#client-form")
    assert client.post(f"/clients/{acme['client']}", data={**form, "manager_id": str(acme["sam"])}).status_code == 200
    stale = client.post(f"/clients/{acme['client']}", data={**form, "hourly_rate": "120"})
    assert stale.status_code == 409
    page = soup(stale.text)
    assert page.select_one("#client-manager option[selected]").text == "Sam Staff"
    alert = " ".join(page.select_one("[role=alert]").text.split())
    assert alert.endswith("Yours, not saved: hourly rate “120.00”.")  # the manager was not changed in it


def test_edit_with_optimistic_locking_and_history(client: TestClient, acme: dict[str, int], data: DataBuilder) -> None:
    form = {
        "name": "Acme Group",
        "status": "paused",
        "manager_id": str(acme["manager"]),
        "hourly_rate": "",
        "version": "1",
    }
    saved = client.post(f"/clients/{acme['client']}", data=form)
    assert saved.status_code == 200 and saved.headers["HX-Trigger"] == "client-changed"
    late = client.post(
        f"/clients/{acme['client']}",
        data={**form, "name": "Someone else's name", "status": "churned", "manager_id": "", "hourly_rate": "99.5"},
    )
    assert late.status_code == 409
    assert late.headers["HX-Trigger"] == "client-changed"  # the rest of the page shows theirs too
    alert = soup(late.text).select_one("[role=alert]").text
    assert "changed by someone else" in alert
    # The form shows theirs; what was typed is kept in the message, to be made again.
    assert (
        "Yours, not saved: name “Someone else's name”; status “Churned”; no account manager; hourly rate “99.50”."
        in " ".join(alert.split())
    )
    assert soup(late.text).select_one("#client-name")["value"] == "Acme Group"
    today = "CAST('2026-11-15' AS date)"
    assert data.rows(
        f"SELECT name, status, dated_value(hourly_rate_cents, rate_changes, {today}) AS rate, version FROM clients"
    )[0] == {
        "name": "Acme Group",
        "status": "paused",
        "rate": None,  # staff rates, from today on
        "version": 2,
    }
    history = soup(client.get(f"/clients/{acme['client']}").text).select_one(".history").text
    assert "changed client: Name Acme → Acme Group; Status Active → Paused" in history
    assert "Hourly rate €100.00 → — from 15 Nov 2026" in history
    unchanged = client.post(f"/clients/{acme['client']}", data={**form, "version": "2"})  # saved as it is
    assert unchanged.status_code == 200
    assert data.val("SELECT version FROM clients") == 2  # no new version, no empty line in the history
    assert soup(client.get(f"/clients/{acme['client']}").text).select_one(".history").text.count("changed client") == 1


def test_manage_services(client: TestClient, acme: dict[str, int], data: DataBuilder) -> None:
    base = f"/clients/{acme['client']}"
    figures = f"/partials/clients/figures?client={acme['client']}&period=this_month"
    assert soup(client.get(figures).text).select_one(".figure").text == "€4,500"
    bad = client.post(
        f"{base}/services",
        data={
            "name": "Hosting",
            "kind": "recurring",
            "price": "abc",
            "start_date": "2026-11-01",
            "end_date": "2026-10-01",
        },
    )
    assert bad.status_code == 422
    assert "is not an amount" in soup(bad.text).select_one("#service-error-price").text
    assert "on or after the start date" in soup(bad.text).select_one("#service-error-end_date").text
    added = client.post(
        f"{base}/services", data={"name": "Hosting", "kind": "recurring", "price": "300", "start_date": "2026-11-01"}
    )
    assert added.status_code == 200 and added.headers["HX-Trigger"] == "client-changed"
    fresh = client.get(figures)
    assert server_timing(fresh.headers["server-timing"])["cache"]["desc"] == "miss"
    assert soup(fresh.text).select_one(".figure").text == "€4,800"
    ended = client.post(f"{base}/services/{acme['retainer']}/end", data={"version": "1", "end_date": "2026-10-31"})
    assert ended.status_code == 200 and "Ended recurring service on 2026-10-31" in ended.text
    assert soup(client.get(figures).text).select_one(".figure").text == "€2,800"
    stale = client.post(f"{base}/services/{acme['retainer']}/reactivate", data={"version": "1"})
    assert stale.status_code == 409 and stale.headers["HX-Trigger"] == "client-changed"
    assert "the list now shows it as it is" in stale.text  # no form below shows theirs: the list does
    back = client.post(f"{base}/services/{acme['retainer']}/reactivate", data={"version": "2"})
    assert back.status_code == 200  # ended last month: it comes back as a new service (see test_services.py)
    assert data.val("SELECT count(*) FROM services WHERE end_date IS NULL AND monthly_price_cents = 200000") == 1
    edit = soup(client.get(f"{base}/services/{acme['retainer']}/edit").text)
    assert edit.select_one("#service-price")["value"] == "2000.00"
    cancel = edit.select_one("#service-form button[type=button]")
    assert (cancel.text, cancel["hx-get"]) == ("Cancel", f"{base}/services/new")  # back to adding one
    assert client.get(cancel["hx-get"]).status_code == 200
    assert soup(client.get(f"{base}/services/new").text).select("#service-form button[type=button]") == []
    other = data.client("Other")
    assert client.get(f"/clients/{other}/services/{acme['retainer']}/edit").status_code == 404
    assert data.val("SELECT count(*) FROM audit_log WHERE entity = 'service'") == 3  # add, end, reactivate


def test_edit_a_service_and_its_bounds(client: TestClient, acme: dict[str, int], data: DataBuilder) -> None:
    url = f"/clients/{acme['client']}/services/{acme['retainer']}"
    too_big = client.post(
        url,
        data={
            "name": "Retainer",
            "kind": "recurring",
            "price": "100000001",
            "start_date": "2025-01-01",
            "version": "1",
        },
    )
    assert too_big.status_code == 422
    assert "between €0 and €100,000,000" in soup(too_big.text).select_one("#service-error-price").text
    long_name = client.post(
        url, data={"name": "x" * 201, "kind": "hourly", "price": "150", "start_date": "2025-01-01", "version": "1"}
    )
    assert "at most 200 characters" in soup(long_name.text).select_one("#service-error-name").text
    rate_too_big = client.post(
        url,
        data={"name": "Consulting", "kind": "hourly", "price": "1000001", "start_date": "2025-01-01", "version": "1"},
    )
    assert "between €0 and €1,000,000" in soup(rate_too_big.text).select_one("#service-error-price").text
    saved = client.post(
        url,
        data={"name": "Consulting", "kind": "hourly", "price": "150.50", "start_date": "2025-01-01", "version": "1"},
    )
    assert saved.status_code == 200 and saved.headers["HX-Trigger"] == "client-changed"
    row = data.rows("SELECT name, kind, monthly_price_cents, hourly_rate_cents, version FROM services")[0]
    assert row == {
        "name": "Consulting",
        "kind": "hourly",
        "monthly_price_cents": None,
        "hourly_rate_cents": 15_050,
        "version": 2,
    }
    late = client.post(
        url, data={"name": "Late", "kind": "hourly", "price": "1", "start_date": "2025-01-01", "version": "1"}
    )
    assert late.status_code == 409 and "changed by someone else" in late.text
    assert late.headers["HX-Trigger"] == "client-changed"
    assert "Yours, not saved: name “Late”; price “1.00”." in " ".join(
        soup(late.text).select_one("[role=alert]").text.split()
    )
    assert soup(late.text).select_one("#service-name")["value"] == "Consulting"  # theirs, in the form
    assert data.val("SELECT name FROM services") == "Consulting"
    moved = client.post(
        url,
        data={"name": "Consulting", "kind": "one_off", "price": "150.50", "start_date": "2025-01-01", "version": "1"},
    )
    assert "Yours, not saved: kind “One-off”." in " ".join(soup(moved.text).select_one("[role=alert]").text.split())


def test_client_name_length_and_unknown_manager(client: TestClient, data: DataBuilder) -> None:
    too_long = client.post("/clients", data={"name": "n" * 201, "status": "lead"})
    assert "at most 200 characters" in soup(too_long.text).select_one("#client-error-name").text
    ghost = client.post("/clients", data={"name": "Ghost Co", "status": "lead", "manager_id": "424242"})
    assert ghost.status_code == 422
    assert "does not exist" in soup(ghost.text).select_one("#client-error-manager_id").text
    assert data.val("SELECT count(*) FROM clients") == 0


def form_fields(html: str, form: str) -> dict[str, str]:
    """What a form sends as it stands: its inputs and selected options."""
    page = soup(html).select_one(form)
    fields = {i["name"]: i.get("value", "") for i in page.select("input[name]") if i.get("type") != "checkbox"}
    for select in page.select("select[name]"):
        chosen = select.select_one("option[selected]")
        fields[select["name"]] = chosen["value"] if chosen else ""
    return fields


def test_a_conflict_names_only_what_was_changed_in_the_refused_form(client: TestClient, acme: dict[str, int]) -> None:
    """Two admins open Acme; one renames it; the other changes only its rate. The refused save names
    the rate alone: retyping the old name as well would undo the rename."""
    page = f"/clients/{acme['client']}"
    fields = form_fields(client.get(page).text, "#client-form")
    assert client.post(page, data={**fields, "name": "Acme Group"}).status_code == 200
    late = client.post(page, data={**fields, "hourly_rate": "120"})
    assert late.status_code == 409
    alert = " ".join(soup(late.text).select_one("[role=alert]").text.split())
    assert alert.endswith("Yours, not saved: hourly rate “120.00”.")
    # The same for a service: a new price saved by one, a new name refused for the other.
    service = f"{page}/services/{acme['retainer']}"
    fields = form_fields(client.get(f"{service}/edit").text, "#service-form")
    assert client.post(service, data={**fields, "price": "2100"}).status_code == 200
    late = client.post(service, data={**fields, "name": "Support"})
    assert late.status_code == 409
    alert = " ".join(soup(late.text).select_one("[role=alert]").text.split())
    assert alert.endswith("Yours, not saved: name “Support”.")


def test_dates_and_times_are_shown_in_the_apps_time_zone(open_app: OpenApp, data: DataBuilder) -> None:
    acme = data.client("Acme")  # created 2024-01-01 12:00 UTC
    data.val("UPDATE clients SET created_at = '2026-11-14 02:30+00' WHERE id = :id", id=acme)
    with open_app(timezone="America/Los_Angeles") as client:  # UTC-8: still the 13th there
        client.post(f"/clients/{acme}", data={"name": "Acme Inc", "status": "active", "version": "1"})
        page = soup(client.get(f"/clients/{acme}").text)
    assert "client since 13 Nov 2026" in page.get_text()
    shown = page.select_one(".history time")
    written = datetime.fromisoformat(shown["datetime"])
    assert shown.get_text() == written.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%-d %b %Y %H:%M")


def test_time_entries_follow_the_pages_period(client: TestClient, acme: dict[str, int], data: DataBuilder) -> None:
    data.entry(acme["client"], acme["sam"], date(2026, 10, 30), 45, 10_000)  # October
    base = f"/partials/clients/entries?client={acme['client']}"
    november = soup(client.get(base + "&period=this_month").text)
    assert "25 entries" in november.select_one(".pager").text  # not October's
    october = soup(client.get(base + "&period=last_month").text)
    assert [td.text for td in october.select("tbody tr td:first-child")] == ["30 Oct 2026"]
    none = soup(client.get(base + "&period=custom&from=2025-01-01&to=2025-01-31").text)
    assert none.select_one(".card__note").text == "No time logged in 2025-01-01 – 2025-01-31."


@pytest.mark.parametrize(
    ("style", "written"), [("day-month", "13 Nov 2026"), ("month-day", "Nov 13, 2026"), ("iso", "2026-11-13")]
)
def test_pages_write_dates_one_way_the_setting_chooses(
    open_app: OpenApp, data: DataBuilder, style: str, written: str
) -> None:
    acme = data.client("Acme")
    data.val("UPDATE clients SET created_at = '2026-11-13 12:00+00' WHERE id = :id", id=acme)
    with open_app(date_style=style) as client:
        assert f"client since {written}" in soup(client.get(f"/clients/{acme}").text).get_text()


def test_an_unknown_date_style_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="BILLABLE_DATE_STYLE: use day-month, month-day, iso"):
        Settings.from_env({"DATABASE_URL": "postgresql:///x", "BILLABLE_DATE_STYLE": "dd/mm"})


def test_a_status_changes_from_a_day_with_its_history(
    client: TestClient, acme: dict[str, int], data: DataBuilder
) -> None:
    page = f"/clients/{acme['client']}"
    fields = form_fields(client.get(page).text, "#client-form")
    assert fields["status_from"] == "2026-11-15"  # today, unless another day is picked
    for day, message in (
        ("2026-11-16", "A new status takes effect today or on a day gone by, not ahead."),
        ("2026-02-30", "Status from “2026-02-30” is not a date that exists; use YYYY-MM-DD."),
    ):
        refused = client.post(page, data={**fields, "status": "churned", "status_from": day})
        assert refused.status_code == 422
        assert soup(refused.text).select_one("#client-error-status_from").text == message
        assert data.val("SELECT status FROM clients") == "active"
    # Into a month gone by: said, and saved once confirmed.
    asked = client.post(page, data={**fields, "status": "churned", "status_from": "2026-10-20"})
    assert asked.status_code == 200 and asked.headers.get("HX-Trigger") is None
    warning = soup(asked.text).select_one(".notice--warn").text
    assert "The status is churned from 20 Oct 2026" in warning and warning.endswith("Save again to confirm.")
    assert data.val("SELECT status FROM clients") == "active"
    confirmed = client.post(page, data={**form_fields(asked.text, "#client-form"), "status": "churned"})
    assert confirmed.status_code == 200
    assert data.rows("SELECT from_date, status FROM client_statuses ORDER BY from_date") == [
        {"from_date": date(2024, 1, 1), "status": "active"},
        {"from_date": date(2026, 10, 20), "status": "churned"},
    ]
    shown = soup(client.get(page).text)
    assert "Status Active → Churned from 20 Oct 2026" in shown.select_one(".history").text
    assert " ".join(shown.select_one(".client-head__statuses").text.split()) == (
        "Status history: Active from 1 Jan 2024 · Churned from 20 Oct 2026"
    )
    # Not before the last change: a history is not rewritten in its middle (said at once, not
    # after a confirmation that could only fail).
    fields = form_fields(confirmed.text, "#client-form")
    earlier = client.post(page, data={**fields, "status": "active", "status_from": "2026-10-01"})
    assert earlier.status_code == 422
    assert soup(earlier.text).select_one("#client-error-status_from").text == (
        "The status last changed on 20 Oct 2026: a new one can start on that day or later."
    )
    assert data.val("SELECT status FROM clients") == "churned"
