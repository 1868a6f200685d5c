"""Dated hourly rates (issue #20 item 1): time logged takes the client's, else the person's rate in
effect on its date; a rate changed on the client page applies from the day given, a month gone by
confirmed first. Entries already logged keep their rate."""

from __future__ import annotations

from datetime import date

from starlette.testclient import TestClient

from tests.support import DataBuilder, soup
from tests.timesheets.conftest import entries, log


def dated(data: DataBuilder, table: str, row_id: int, changes: str) -> None:
    data.val(f"UPDATE {table} SET rate_changes = CAST(:c AS jsonb) WHERE id = :id", c=changes, id=row_id)


def test_time_takes_the_rates_in_effect_on_its_date(sam: TestClient, office: dict[str, int], data: DataBuilder) -> None:
    dated(
        data,
        "clients",
        office["acme"],
        '[{"from": "2026-11-10", "cents": 9500}, {"from": "2026-11-13", "cents": null}]',
    )
    dated(data, "users", office["sam"], '[{"from": "2026-11-10", "cents": 6500}]')
    for day, client in (("09", "acme"), ("12", "acme"), ("14", "acme"), ("09", "bolt"), ("12", "bolt")):
        assert log(sam, client_id=str(office[client]), work_date=f"2026-11-{day}").status_code == 200
    # Acme €90 before the 10th, €95 from it, its staff's rates from the 13th (Sam's €65 by then);
    # Bolt has no rate: Sam's, €60 before the 10th and €65 from it.
    assert [e["rate_cents"] for e in entries(data)] == [9_000, 9_500, 6_500, 6_000, 6_500]


def client_form(client: TestClient, acme: int) -> dict[str, str]:
    form = soup(client.get(f"/clients/{acme}").text).select_one("#client-form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    for select in form.select("select[name]"):
        chosen = select.select_one("option[selected]")
        fields[select["name"]] = chosen["value"] if chosen else ""
    return fields


def test_a_client_rate_changes_from_a_day_and_a_month_gone_by_is_confirmed(
    client: TestClient, office: dict[str, int], data: DataBuilder
) -> None:
    acme = office["acme"]
    data.entry(acme, office["sam"], date(2026, 10, 20), 60, 9_000)  # logged already: keeps its rate
    fields = client_form(client, acme)
    assert (fields["hourly_rate"], fields["rate_from"]) == ("90.00", "2026-11-15")  # today's, from today
    assert client.post(f"/clients/{acme}", data={**fields, "hourly_rate": "100"}).status_code == 200
    rate = "SELECT dated_value(hourly_rate_cents, rate_changes, CAST(:day AS date)) FROM clients WHERE id = :id"
    assert [data.val(rate, day=date(2026, 11, d), id=acme) for d in (14, 15)] == [9_000, 10_000]
    assert "Rate €100.00/h" in soup(client.get(f"/clients/{acme}").text).select_one("#client-head").get_text()
    fields = client_form(client, acme)
    asked = client.post(f"/clients/{acme}", data={**fields, "hourly_rate": "80", "rate_from": "2026-10-01"})
    assert asked.status_code == 200
    notice = soup(asked.text).select_one(".notice--warn")
    assert (
        "The new rate applies from 1 Oct 2026" in notice.get_text()
        and "time already logged keeps its rate" in notice.get_text()
    )
    assert data.val(rate, day=date(2026, 10, 1), id=acme) == 9_000  # not yet
    again = {i["name"]: i.get("value", "") for i in soup(asked.text).select("input[name]")}
    again |= {"status": fields["status"], "manager_id": fields["manager_id"]}
    assert again["confirm"] == "1"
    assert client.post(f"/clients/{acme}", data=again).status_code == 200
    assert [data.val(rate, day=date(2026, m, d), id=acme) for m, d in ((9, 30), (10, 1), (11, 15))] == [
        9_000,
        8_000,
        10_000,
    ]
    assert data.val("SELECT rate_cents FROM timesheet_entries") == 9_000
    bad = client.post(
        f"/clients/{acme}", data={**client_form(client, acme), "hourly_rate": "70", "rate_from": "2026-02-30"}
    )
    assert (
        bad.status_code == 422
        and "is not a date that exists" in soup(bad.text).select_one("#client-error-rate_from").get_text()
    )
